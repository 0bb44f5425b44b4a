"""Pages and stylesheets travel compressed; static files are cached for a year under a content fingerprint."""

import gzip
import hashlib
import re
import shutil

import brotli
import pytest

from onestop.assets import FOREVER

DECOMPRESS = {"br": brotli.decompress, "gzip": gzip.decompress}


def _stylesheet(html: str) -> str:
    return re.search(r'href="(/static/css/site\.css[^"]*)"', html)[1].replace("&amp;", "&")


@pytest.mark.parametrize("encoding", ["br", "gzip"])
@pytest.mark.parametrize("url", ["/", "/procedures?q=khai+sinh", "/procedures/cap-phieu-ly-lich-tu-phap"])
def test_pages_are_sent_compressed_to_a_browser_that_accepts_it(client, demo, url, encoding):
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers  # a client that asks for nothing gets the page as it is
    response = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.data) < len(plain.data) / 2
    assert DECOMPRESS[encoding](response.data) == plain.data


def test_the_browser_choice_is_brotli_when_it_offers_both(client, demo):
    response = client.get("/procedures", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"


def test_the_stylesheet_is_compressed_and_kept_for_a_year_under_its_fingerprint(client, demo, app):
    url = _stylesheet(client.get("/").get_data(as_text=True))
    content = (app.static_folder + "/css/site.css").encode()
    with open(content, "rb") as file:
        content = file.read()
    assert url == f"/static/css/site.css?v={hashlib.sha256(content).hexdigest()[:12]}"
    response = client.get(url, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == FOREVER
    assert response.headers["Content-Encoding"] == "br" and "Accept-Encoding" in response.headers["Vary"]
    assert brotli.decompress(response.data) == content
    assert len(response.data) < len(content) / 3


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_a_stylesheet_asked_without_its_current_fingerprint_is_revalidated(client, demo, query):
    response = client.get(f"/static/css/site.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_changed_static_file_gets_a_new_address(client, demo, app, tmp_path, monkeypatch):
    shutil.copytree(app.static_folder, tmp_path / "static")
    monkeypatch.setattr(app, "static_folder", str(tmp_path / "static"))
    before = _stylesheet(client.get("/privacy").get_data(as_text=True))
    with open(tmp_path / "static" / "css" / "site.css", "a") as stylesheet:
        stylesheet.write("\n.new-rule { color: red; }\n")
    after = _stylesheet(client.get("/privacy").get_data(as_text=True))
    assert before != after
    assert client.get(before).headers["Cache-Control"] == "no-cache"  # the old address is not pinned to new bytes
    response = client.get(after)
    assert response.headers["Cache-Control"] == FOREVER and b".new-rule" in response.data


def test_the_province_theme_is_kept_until_the_pack_is_loaded_again(client, demo):
    html = client.get("/").get_data(as_text=True)
    theme = re.search(r'href="(/theme\.css\?v=\d+)"', html)[1]
    assert client.get(theme).headers["Cache-Control"] == FOREVER
    assert client.get("/theme.css?v=1").headers["Cache-Control"] == "no-cache"
    logo = re.search(r'src="(/branding/logo\?v=\d+)"', html)
    if logo:
        assert client.get(logo[1]).headers["Cache-Control"] == FOREVER
