"""One entry's repair issues, raised and cleared by the feature they concern."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_amber_sync.const import DOMAIN


class EntryIssues:
    """Creates and deletes the repair issues of one config entry, each named by its translation key."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Issues for `entry`: the id is the translation key and the entry id, the title a placeholder."""
        self._hass = hass
        self._entry = entry

    def issue_id(self, key: str) -> str:
        """This entry's repair issue of kind `key` (its translation key)."""
        return f"{key}_{self._entry.entry_id}"

    def raise_issue(
        self,
        key: str,
        *,
        severity: ir.IssueSeverity,
        fixable: bool = False,
        fix_data: Mapping[str, str] | None = None,
        **placeholders: str,
    ) -> None:
        """Show (or update) the issue `key`; a fixable one (or one given `fix_data`, what its repair flow
        applies) carries the entry id its repair flow needs."""
        fixable = fixable or fix_data is not None
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self.issue_id(key),
            is_fixable=fixable,
            severity=severity,
            translation_key=key,
            translation_placeholders={"title": self._entry.title, **placeholders},
            data={**(fix_data or {}), "entry_id": self._entry.entry_id} if fixable else None,
        )

    def clear(self, key: str) -> None:
        """Remove the issue `key` (nothing happens when it is not shown)."""
        ir.async_delete_issue(self._hass, DOMAIN, self.issue_id(key))
