"""AemoClient: NEM-time settlement dates, negative prices, skipped rows, no auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.tesla_amber_sync.api import USER_AGENT
from custom_components.tesla_amber_sync.api.aemo import AEMO_SUMMARY_URL, AemoClient, parse_settlement_date
from custom_components.tesla_amber_sync.api.errors import InvalidResponseError, ServiceUnavailableError
from custom_components.tesla_amber_sync.api.models import AemoPriceStatus, AemoRegionPrice

from .conftest import load_fixture, sent

if TYPE_CHECKING:
    from aioresponses import aioresponses

NEM = timezone(timedelta(hours=10))


@pytest.fixture
def client(session: aiohttp.ClientSession) -> AemoClient:
    return AemoClient(session)


def row(region: str, price: float, settlement: str) -> dict[str, object]:
    return {"REGIONID": region, "PRICE": price, "SETTLEMENTDATE": settlement, "PRICE_STATUS": "FIRM"}


async def test_get_region_prices(client: AemoClient, mock_http: aioresponses) -> None:
    mock_http.get(AEMO_SUMMARY_URL, payload=load_fixture("aemo_summary.json"))

    prices = await client.get_region_prices()

    headers = sent(mock_http, "GET", AEMO_SUMMARY_URL).kwargs["headers"]
    assert "Authorization" not in headers
    assert headers["User-Agent"] == USER_AGENT
    # NSW1 has no price and TAS1 no date: both skipped.
    assert prices == {
        "VIC1": AemoRegionPrice(
            region="VIC1",
            price=96.76914,
            settlement_time=datetime(2026, 7, 10, 19, 25, tzinfo=NEM),
            price_status=AemoPriceStatus.FIRM,
        ),
        "SA1": AemoRegionPrice(
            region="SA1",
            price=-18.4,
            settlement_time=datetime(2026, 7, 10, 19, 25, tzinfo=NEM),
            price_status=AemoPriceStatus.PRELIMINARY,
        ),
        "QLD1": AemoRegionPrice(
            region="QLD1",
            price=55.0,
            settlement_time=datetime(2026, 7, 10, 19, 25, tzinfo=NEM),
            price_status=AemoPriceStatus.UNKNOWN,
        ),
    }


async def test_settlement_time_is_nem_time_all_year(client: AemoClient, mock_http: aioresponses) -> None:
    # 10 January is daylight-saving time in Sydney (+11), yet NEM time stays +10.
    mock_http.get(AEMO_SUMMARY_URL, payload={"ELEC_NEM_SUMMARY": [row("NSW1", 20.5, "2026-01-10T12:05:00")]})

    settlement = (await client.get_region_prices())["NSW1"].settlement_time

    assert settlement.utcoffset() == timedelta(hours=10)
    assert settlement.astimezone(UTC) == datetime(2026, 1, 10, 2, 5, tzinfo=UTC)


async def test_later_row_of_a_region_wins(client: AemoClient, mock_http: aioresponses) -> None:
    rows = [
        row("SA1", 10.0, "2026-07-10T19:30:00"),
        row("SA1", 99.0, "2026-07-10T19:25:00"),
        row("VIC1", 1.0, "2026-07-10T19:25:00"),
        row("VIC1", 2.0, "2026-07-10T19:30:00"),
    ]
    mock_http.get(AEMO_SUMMARY_URL, payload={"ELEC_NEM_SUMMARY": rows})

    prices = await client.get_region_prices()

    assert prices["SA1"].price == 10.0
    assert prices["VIC1"].price == 2.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-10T19:25:00", datetime(2026, 7, 10, 19, 25, tzinfo=NEM)),
        ("2026/07/10 19:25:00", datetime(2026, 7, 10, 19, 25, tzinfo=NEM)),
        ("2026-07-10T09:25:00+00:00", datetime(2026, 7, 10, 9, 25, tzinfo=UTC)),
        ("10 July", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_settlement_date(text: object, expected: datetime | None) -> None:
    assert parse_settlement_date(text) == expected


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"ELEC_NEM_SUMMARY_PRICES": []}',
        '{"ELEC_NEM_SUMMARY": null}',
        '{"ELEC_NEM_SUMMARY": []}',
        '{"ELEC_NEM_SUMMARY": [{"REGIONID": "SA1", "PRICE": "n/a", "SETTLEMENTDATE": "2026-07-10T19:25:00"},'
        ' {"PRICE": 5, "SETTLEMENTDATE": "2026-07-10T19:25:00"}, 7]}',
    ],
)
async def test_no_usable_price_is_invalid(client: AemoClient, mock_http: aioresponses, body: str) -> None:
    mock_http.get(AEMO_SUMMARY_URL, body=body)

    with pytest.raises(InvalidResponseError, match="AEMO"):
        await client.get_region_prices()


async def test_403_is_a_refusal_not_an_auth_problem(client: AemoClient, mock_http: aioresponses) -> None:
    # There is no token to renew: AEMO blocks scripts on its main host with 403.
    mock_http.get(AEMO_SUMMARY_URL, status=403, body="<html>Access denied</html>")

    with pytest.raises(ServiceUnavailableError, match="HTTP 403"):
        await client.get_region_prices()


@pytest.mark.parametrize("error", [TimeoutError(), aiohttp.ClientConnectionError()])
async def test_unreachable(client: AemoClient, mock_http: aioresponses, error: Exception) -> None:
    mock_http.get(AEMO_SUMMARY_URL, exception=error)

    with pytest.raises(ServiceUnavailableError, match="AEMO"):
        await client.get_region_prices()


async def test_custom_url(session: aiohttp.ClientSession, mock_http: aioresponses) -> None:
    url = "http://localhost:9000/aemo"
    mock_http.get(url, payload={"ELEC_NEM_SUMMARY": [row("TAS1", 0.0, "2026-07-10T19:25:00")]})

    prices = await AemoClient(session, base_url=url, timeout=2).get_region_prices()

    assert prices["TAS1"].price == 0.0
    assert sent(mock_http, "GET", url).kwargs["timeout"] == aiohttp.ClientTimeout(total=2)
