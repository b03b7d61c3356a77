"""Pure decision logic: given values (and the time), decide what the single writer should do."""
