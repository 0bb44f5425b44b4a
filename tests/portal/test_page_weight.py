"""Citizen pages stay under 100 KB on a cold cache: many people file from phones on weak rural signal."""

import re

import pytest

BUDGET = 100 * 1024


@pytest.mark.parametrize(
    "url", ["/", "/procedures", "/procedures?q=khai+sinh", "/procedures/cap-phieu-ly-lich-tu-phap", "/account/register"]
)
def test_a_cold_page_load_stays_under_100_kb(client, demo, url):
    page = client.get(url)
    html = page.get_data(as_text=True)
    total = len(page.data)
    assets = set(re.findall(r'(?:href|src)="(/(?:static|theme\.css|branding)[^"]*)"', html))
    assert assets, "the page should load its stylesheet"
    for asset in assets:
        response = client.get(asset.replace("&amp;", "&"))
        assert response.status_code == 200, asset
        total += len(response.data)
    assert total < BUDGET, f"{url} weighs {total} bytes with its assets"
    assert "<script" not in html  # nothing to download, parse or run
