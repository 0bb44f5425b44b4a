"""Catalogue benchmark: search and procedure pages of a 2,000-procedure province against a bare Flask app.

    .venv/bin/python bench/catalogue.py [--database-url URL] [--requests N] [--concurrency C]

It generates a synthetic province pack (seeded, so every run loads the same catalogue), loads it with the
real commands (`flask --app wsgi db upgrade`, `flask --app wsgi province load DIR`), starts two gunicorn
servers with the same settings and environment (the real app, and bench/bare_app.py as the baseline),
measures both with the same concurrent HTTP client and prints latency percentiles and the ratios to the
baseline. The figures are only meaningful as ratios: absolute numbers depend on the machine.

By default the database is a fresh SQLite file in a temporary folder. With --database-url the named
PostgreSQL database is emptied first (DROP SCHEMA public CASCADE), created if missing; its name must
contain "bench" so that a development or test database is never wiped by mistake.
See docs/benchmarks.md.
"""

import argparse
import http.client
import os
import random
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml
from _common import (
    Measurement,
    Server,
    clean_up,
    header,
    report_failures,
    reset_postgres,
    run_clients,
    run_flask,
    start_server,
    wait_until_answering,
)

PROVINCE_CODE = "BENCH"
PROVINCE_NAME = "Bình Hà"
AGENCY_SUFFIX = "H98"
SEED = 20240601
PROCEDURE_COUNT = 2000
AGENCY_COUNT = 500
TARGET_RATIO = 3.0
GUNICORN_SETTINGS = ["--workers", "2", "--threads", "1"]

# ---------------------------------------------------------------------------------------------
# Vocabulary of the synthetic catalogue. Sector code -> (sector name, department that receives).

SECTORS = {
    "xay-dung": ("Xây dựng", "Sở Xây dựng"),
    "quy-hoach-kien-truc": ("Quy hoạch - Kiến trúc", "Sở Xây dựng"),
    "nha-o": ("Nhà ở và công sở", "Sở Xây dựng"),
    "duong-bo": ("Đường bộ", "Sở Giao thông vận tải"),
    "duong-thuy": ("Đường thủy nội địa", "Sở Giao thông vận tải"),
    "kham-chua-benh": ("Khám bệnh, chữa bệnh", "Sở Y tế"),
    "duoc-pham": ("Dược phẩm", "Sở Y tế"),
    "an-toan-thuc-pham": ("An toàn thực phẩm", "Sở Y tế"),
    "ho-tich": ("Hộ tịch", "Sở Tư pháp"),
    "chung-thuc": ("Chứng thực", "Sở Tư pháp"),
    "ly-lich-tu-phap": ("Lý lịch tư pháp", "Sở Tư pháp"),
    "cu-tru": ("Cư trú", "Công an tỉnh"),
    "phong-chay": ("Phòng cháy, chữa cháy", "Công an tỉnh"),
    "thanh-lap-doanh-nghiep": ("Thành lập và hoạt động doanh nghiệp", "Sở Kế hoạch và Đầu tư"),
    "dau-tu": ("Đầu tư tại Việt Nam", "Sở Kế hoạch và Đầu tư"),
    "hop-tac-xa": ("Thành lập và hoạt động của hợp tác xã", "Sở Kế hoạch và Đầu tư"),
    "luu-thong-hang-hoa": ("Lưu thông hàng hóa trong nước", "Sở Công Thương"),
    "dien": ("Điện", "Sở Công Thương"),
    "dat-dai": ("Đất đai", "Sở Tài nguyên và Môi trường"),
    "moi-truong": ("Môi trường", "Sở Tài nguyên và Môi trường"),
    "tai-nguyen-nuoc": ("Tài nguyên nước", "Sở Tài nguyên và Môi trường"),
    "khoang-san": ("Khoáng sản", "Sở Tài nguyên và Môi trường"),
    "chan-nuoi-thu-y": ("Chăn nuôi và thú y", "Sở Nông nghiệp và Phát triển nông thôn"),
    "thuy-san": ("Thủy sản", "Sở Nông nghiệp và Phát triển nông thôn"),
    "lao-dong-viec-lam": ("Việc làm", "Sở Lao động - Thương binh và Xã hội"),
    "nguoi-co-cong": ("Người có công", "Sở Lao động - Thương binh và Xã hội"),
    "bao-tro-xa-hoi": ("Bảo trợ xã hội", "Sở Lao động - Thương binh và Xã hội"),
    "van-hoa": ("Văn hóa", "Sở Văn hóa, Thể thao và Du lịch"),
    "du-lich": ("Du lịch", "Sở Văn hóa, Thể thao và Du lịch"),
    "giao-duc": ("Giáo dục và Đào tạo", "Sở Giáo dục và Đào tạo"),
    "xuat-ban": ("Xuất bản, in và phát hành", "Sở Thông tin và Truyền thông"),
}

LICENCE_ACTIONS = [
    "Cấp giấy phép",
    "Cấp lại giấy phép",
    "Gia hạn giấy phép",
    "Điều chỉnh giấy phép",
    "Cấp đổi giấy phép",
]
REGISTRATION_ACTIONS = ["Đăng ký", "Đăng ký lại", "Đăng ký thay đổi", "Xác nhận", "Cấp bản sao trích lục"]
CERTIFICATE_ACTIONS = [
    "Cấp giấy chứng nhận",
    "Cấp lại giấy chứng nhận",
    "Cấp đổi giấy chứng nhận",
    "Điều chỉnh giấy chứng nhận",
    "Xác nhận",
]
QUALIFICATION_ACTIONS = ["Cấp chứng chỉ", "Cấp lại chứng chỉ", "Gia hạn chứng chỉ", "Công nhận"]
APPROVAL_ACTIONS = ["Thẩm định", "Phê duyệt", "Công nhận", "Chấp thuận", "Điều chỉnh"]
SUPPORT_ACTIONS = ["Xác nhận", "Giải quyết", "Đề nghị hưởng", "Thôi hưởng", "Điều chỉnh"]

# (action family, object, sector, keywords)
OBJECTS = [
    (LICENCE_ACTIONS, "xây dựng nhà ở riêng lẻ", "xay-dung", ["gpxd", "xin phep xay nha"]),
    (LICENCE_ACTIONS, "xây dựng công trình không theo tuyến", "xay-dung", ["gpxd"]),
    (LICENCE_ACTIONS, "sửa chữa, cải tạo công trình", "xay-dung", ["sua nha"]),
    (LICENCE_ACTIONS, "di dời công trình", "xay-dung", []),
    (LICENCE_ACTIONS, "kinh doanh vận tải bằng xe ô tô", "duong-bo", ["xe khach", "xe tai"]),
    (LICENCE_ACTIONS, "lái xe", "duong-bo", ["bang lai", "gplx"]),
    (LICENCE_ACTIONS, "liên vận quốc tế", "duong-bo", []),
    (LICENCE_ACTIONS, "thi công công trình trên đường bộ đang khai thác", "duong-bo", ["dao duong"]),
    (LICENCE_ACTIONS, "hoạt động bến thủy nội địa", "duong-thuy", ["ben do"]),
    (LICENCE_ACTIONS, "hoạt động của cơ sở khám bệnh, chữa bệnh", "kham-chua-benh", ["phong kham"]),
    (LICENCE_ACTIONS, "hành nghề y tư nhân", "kham-chua-benh", ["bac si"]),
    (LICENCE_ACTIONS, "bán lẻ thuốc", "duoc-pham", ["nha thuoc"]),
    (LICENCE_ACTIONS, "bán lẻ rượu", "luu-thong-hang-hoa", ["ruou"]),
    (LICENCE_ACTIONS, "bán lẻ sản phẩm thuốc lá", "luu-thong-hang-hoa", ["thuoc la"]),
    (LICENCE_ACTIONS, "hoạt động điện lực", "dien", []),
    (LICENCE_ACTIONS, "khai thác khoáng sản", "khoang-san", ["mo cat"]),
    (LICENCE_ACTIONS, "thăm dò khoáng sản", "khoang-san", []),
    (LICENCE_ACTIONS, "xả nước thải vào nguồn nước", "tai-nguyen-nuoc", ["nuoc thai"]),
    (LICENCE_ACTIONS, "khai thác nước dưới đất", "tai-nguyen-nuoc", ["gieng khoan"]),
    (LICENCE_ACTIONS, "kinh doanh dịch vụ karaoke", "van-hoa", ["karaoke"]),
    (LICENCE_ACTIONS, "tổ chức biểu diễn nghệ thuật", "van-hoa", []),
    (LICENCE_ACTIONS, "kinh doanh dịch vụ lữ hành nội địa", "du-lich", ["tour"]),
    (LICENCE_ACTIONS, "hoạt động in", "xuat-ban", []),
    (LICENCE_ACTIONS, "xuất bản bản tin", "xuat-ban", []),
    (LICENCE_ACTIONS, "môi trường", "moi-truong", ["gpmt"]),
    (LICENCE_ACTIONS, "lao động cho người nước ngoài", "lao-dong-viec-lam", ["work permit"]),
    (REGISTRATION_ACTIONS, "khai sinh", "ho-tich", ["giay khai sinh"]),
    (REGISTRATION_ACTIONS, "kết hôn", "ho-tich", ["dang ky ket hon"]),
    (REGISTRATION_ACTIONS, "khai tử", "ho-tich", []),
    (REGISTRATION_ACTIONS, "nhận cha, mẹ, con", "ho-tich", []),
    (REGISTRATION_ACTIONS, "thường trú", "cu-tru", ["ho khau"]),
    (REGISTRATION_ACTIONS, "tạm trú", "cu-tru", []),
    (REGISTRATION_ACTIONS, "hộ kinh doanh", "thanh-lap-doanh-nghiep", ["kinh doanh ca the"]),
    (REGISTRATION_ACTIONS, "thành lập doanh nghiệp tư nhân", "thanh-lap-doanh-nghiep", ["dkkd"]),
    (REGISTRATION_ACTIONS, "thành lập công ty trách nhiệm hữu hạn", "thanh-lap-doanh-nghiep", ["tnhh"]),
    (REGISTRATION_ACTIONS, "thành lập công ty cổ phần", "thanh-lap-doanh-nghiep", []),
    (REGISTRATION_ACTIONS, "hoạt động chi nhánh, văn phòng đại diện", "thanh-lap-doanh-nghiep", []),
    (REGISTRATION_ACTIONS, "thành lập hợp tác xã", "hop-tac-xa", ["htx"]),
    (REGISTRATION_ACTIONS, "biến động đất đai", "dat-dai", ["sang ten so do"]),
    (REGISTRATION_ACTIONS, "thế chấp quyền sử dụng đất", "dat-dai", ["the chap"]),
    (REGISTRATION_ACTIONS, "tàu cá", "thuy-san", []),
    (REGISTRATION_ACTIONS, "phương tiện thủy nội địa", "duong-thuy", []),
    (REGISTRATION_ACTIONS, "xe máy chuyên dùng", "duong-bo", []),
    (REGISTRATION_ACTIONS, "kế hoạch bảo vệ môi trường", "moi-truong", []),
    (CERTIFICATE_ACTIONS, "quyền sử dụng đất, quyền sở hữu nhà ở", "dat-dai", ["so do", "so hong"]),
    (CERTIFICATE_ACTIONS, "cơ sở đủ điều kiện an toàn thực phẩm", "an-toan-thuc-pham", ["attp"]),
    (CERTIFICATE_ACTIONS, "đủ điều kiện kinh doanh dược", "duoc-pham", []),
    (CERTIFICATE_ACTIONS, "đủ điều kiện chăn nuôi", "chan-nuoi-thu-y", ["trang trai"]),
    (CERTIFICATE_ACTIONS, "cơ sở an toàn dịch bệnh động vật", "chan-nuoi-thu-y", []),
    (CERTIFICATE_ACTIONS, "thẩm duyệt thiết kế về phòng cháy và chữa cháy", "phong-chay", ["pccc"]),
    (CERTIFICATE_ACTIONS, "đăng ký đầu tư", "dau-tu", ["ircert"]),
    (CERTIFICATE_ACTIONS, "đủ điều kiện kinh doanh xăng dầu", "luu-thong-hang-hoa", ["cay xang"]),
    (CERTIFICATE_ACTIONS, "sở hữu công trình xây dựng", "nha-o", []),
    (CERTIFICATE_ACTIONS, "cơ sở lưu trú du lịch đạt tiêu chuẩn", "du-lich", ["khach san"]),
    (QUALIFICATION_ACTIONS, "hành nghề kiến trúc", "quy-hoach-kien-truc", ["kien truc su"]),
    (QUALIFICATION_ACTIONS, "hành nghề dược", "duoc-pham", ["duoc si"]),
    (QUALIFICATION_ACTIONS, "năng lực hoạt động xây dựng", "xay-dung", []),
    (QUALIFICATION_ACTIONS, "hành nghề khám bệnh, chữa bệnh", "kham-chua-benh", ["cchn"]),
    (QUALIFICATION_ACTIONS, "hành nghề y học cổ truyền", "kham-chua-benh", ["dong y"]),
    (QUALIFICATION_ACTIONS, "giáo viên dạy lái xe", "duong-bo", []),
    (QUALIFICATION_ACTIONS, "hướng dẫn viên du lịch", "du-lich", ["the huong dan vien"]),
    (APPROVAL_ACTIONS, "dự án đầu tư xây dựng", "xay-dung", []),
    (APPROVAL_ACTIONS, "quy hoạch chi tiết xây dựng", "quy-hoach-kien-truc", ["quy hoach 1/500"]),
    (APPROVAL_ACTIONS, "báo cáo đánh giá tác động môi trường", "moi-truong", ["dtm"]),
    (APPROVAL_ACTIONS, "phương án cải tạo, phục hồi môi trường", "moi-truong", []),
    (APPROVAL_ACTIONS, "trường đạt chuẩn quốc gia", "giao-duc", []),
    (APPROVAL_ACTIONS, "thành lập trường mầm non tư thục", "giao-duc", []),
    (APPROVAL_ACTIONS, "làng nghề truyền thống", "van-hoa", []),
    (APPROVAL_ACTIONS, "chủ trương đầu tư dự án", "dau-tu", []),
    (APPROVAL_ACTIONS, "giá đất cụ thể", "dat-dai", []),
    (APPROVAL_ACTIONS, "chuyển mục đích sử dụng đất", "dat-dai", ["chuyen doi dat"]),
    (SUPPORT_ACTIONS, "tình trạng hôn nhân", "ho-tich", ["doc than"]),
    (SUPPORT_ACTIONS, "chế độ trợ cấp đối với người có công với cách mạng", "nguoi-co-cong", []),
    (SUPPORT_ACTIONS, "trợ cấp xã hội hằng tháng", "bao-tro-xa-hoi", ["tro cap"]),
    (SUPPORT_ACTIONS, "hỗ trợ chi phí mai táng", "bao-tro-xa-hoi", []),
    (SUPPORT_ACTIONS, "trợ cấp thất nghiệp", "lao-dong-viec-lam", ["bhtn"]),
    (SUPPORT_ACTIONS, "hỗ trợ học nghề", "lao-dong-viec-lam", []),
    (SUPPORT_ACTIONS, "hộ nghèo, hộ cận nghèo", "bao-tro-xa-hoi", []),
    (SUPPORT_ACTIONS, "chứng thực chữ ký", "chung-thuc", ["cong chung"]),
    (SUPPORT_ACTIONS, "chứng thực bản sao từ bản chính", "chung-thuc", ["sao y"]),
    (SUPPORT_ACTIONS, "cấp Phiếu lý lịch tư pháp", "ly-lich-tu-phap", ["lltp"]),
]

QUALIFIERS = [
    "",
    "",
    "",
    " cho cá nhân",
    " cho tổ chức",
    " cho doanh nghiệp",
    " có yếu tố nước ngoài",
    " cho người nước ngoài",
    " cấp tỉnh",
    " cấp huyện",
    " cấp xã",
    " trường hợp bị mất, hư hỏng",
    " trường hợp hết hạn",
    " theo thủ tục rút gọn",
]

DEPARTMENTS = [
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Trung tâm Phục vụ hành chính công tỉnh",
    *sorted({department for _sector, department in SECTORS.values()}),
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Khoa học và Công nghệ",
    "Ban Quản lý các khu công nghiệp",
    "Bảo hiểm xã hội tỉnh",
]
DISTRICTS = [
    "thành phố Bình Hà",
    "thị xã Sông Cầu",
    "huyện Đông Hải",
    "huyện Tây Sơn",
    "huyện Phú Lộc",
    "huyện An Nhơn",
    "huyện Vĩnh Thạnh",
    "huyện Hòa Vang",
    "huyện Long Điền",
    "huyện Tam Nông",
    "huyện Xuân Lộc",
    "huyện Thanh Bình",
]
DIVISIONS = [
    "Phòng Tài nguyên và Môi trường",
    "Phòng Kinh tế và Hạ tầng",
    "Phòng Tư pháp",
    "Phòng Lao động - Thương binh và Xã hội",
    "Phòng Văn hóa và Thông tin",
    "Phòng Giáo dục và Đào tạo",
    "Phòng Tài chính - Kế hoạch",
    "Phòng Nông nghiệp và Phát triển nông thôn",
]
PLACE_FIRST = [
    "An",
    "Tân",
    "Hòa",
    "Phú",
    "Bình",
    "Long",
    "Thạnh",
    "Vĩnh",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Hưng",
    "Thuận",
    "Phước",
    "Mỹ",
    "Tam",
    "Quang",
    "Xuân",
    "Thanh",
]
PLACE_SECOND = [
    "Lập",
    "Phú",
    "Bình",
    "Hòa",
    "Thành",
    "Lợi",
    "Hiệp",
    "Hưng",
    "Lộc",
    "Sơn",
    "Thủy",
    "An",
    "Tiến",
    "Trung",
    "Mỹ",
    "Phong",
    "Khánh",
    "Đức",
    "Thịnh",
    "Quý",
]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt", "Hùng Vương"]

DOCUMENT_BASES = [
    "Đơn đề nghị",
    "Tờ khai",
    "Thẻ căn cước",
    "Hộ chiếu",
    "Giấy khai sinh",
    "Giấy chứng nhận kết hôn",
    "Giấy chứng nhận quyền sử dụng đất",
    "Bản vẽ thiết kế xây dựng",
    "Giấy chứng nhận đăng ký doanh nghiệp",
    "Giấy khám sức khỏe",
    "Văn bằng chuyên môn",
    "Chứng chỉ hành nghề",
    "Hợp đồng thuê nhà",
    "Biên bản nghiệm thu",
    "Báo cáo đánh giá tác động môi trường",
    "Phương án kinh doanh",
    "Điều lệ",
    "Danh sách thành viên",
    "Văn bản ủy quyền",
    "Ảnh chân dung cỡ 4x6",
    "Giấy phép lái xe",
    "Giấy đăng ký xe",
    "Sơ yếu lý lịch",
    "Phiếu lý lịch tư pháp",
    "Quyết định thành lập",
    "Giấy xác nhận tình trạng hôn nhân",
    "Hồ sơ năng lực",
    "Bản kê khai tài sản",
    "Chứng từ nộp lệ phí",
    "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
    "Hợp đồng lao động",
    "Giấy tờ chứng minh chỗ ở hợp pháp",
    "Bản đồ hiện trạng vị trí",
    "Văn bản thẩm duyệt phòng cháy chữa cháy",
]
DOCUMENT_FORMS = ["{}", "Bản sao {}", "Bản dịch có chứng thực {}"]
LAWS = [
    "Luật Xây dựng số 50/2014/QH13",
    "Luật Đất đai số 31/2024/QH15",
    "Luật Doanh nghiệp số 59/2020/QH14",
    "Luật Hộ tịch số 60/2014/QH13",
    "Luật Cư trú số 68/2020/QH14",
    "Luật Khám bệnh, chữa bệnh số 15/2023/QH15",
    "Luật Bảo vệ môi trường số 72/2020/QH14",
    "Nghị định 61/2018/NĐ-CP về cơ chế một cửa, một cửa liên thông",
    "Nghị định 45/2020/NĐ-CP về thực hiện thủ tục hành chính trên môi trường điện tử",
    "Thông tư 85/2019/TT-BTC (phí, lệ phí)",
]
AUDIENCES = [
    "Công dân Việt Nam",
    "Cá nhân, hộ gia đình",
    "Tổ chức, doanh nghiệp",
    "Người nước ngoài cư trú tại tỉnh",
    "Hợp tác xã, tổ hợp tác",
    "Cơ quan, tổ chức sự nghiệp",
]

# Catalogue searches: (query, meant to match). Accents, missing accents, one-letter typos, filler words.
# A query meant to match must list results; one not meant to must list none.
SEARCHES = [
    ("giay phep xay dung", True),
    ("cấp lại giấy phép", True),
    ("dang ky kinh doanh", True),
    ("gia han giay phep lai xe", True),
    ("xac nhan", True),
    ("giấy phép xây dựng nhà ở riêng lẻ", True),
    ("giay phep xay dugn", True),
    ("cap lai giay phpe lai xe", True),
    ("đăng ký hộ kinh doanh", True),
    ("dang ki ket hon", True),
    ("hanh nghe y", True),
    ("kinh doanh van tai", True),
    ("thu tuc cap giay chung nhan quyen su dung dat nhu the nao", True),
    ("phong chay chua chay", True),
    ("chứng chỉ hành nghề dược", True),
    ("tro cap that nghiep", True),
    ("ly lich tu phap", True),
    ("khai thac khoang sna", True),
    ("an toan thuc pham", True),
    ("máy bay không người lái", False),  # Typo expansion runs, yet nothing matches: an empty page.
]


def fold(text: str) -> str:
    """Same folding as onestop.text.fold, kept here so that the generator does not import the app."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in stripped).split())


# ---------------------------------------------------------------------------------------------
# The synthetic pack


@dataclass
class Agency:
    code: str
    name: str
    kind: str
    parent: str | None
    sector_department: str | None = None


def _agencies(rng: random.Random) -> list[Agency]:
    root = Agency(f"000.00.00.{AGENCY_SUFFIX}", f"Ủy ban nhân dân tỉnh {PROVINCE_NAME}", "people_committee", None)
    agencies = [root]
    for number, name in enumerate(DEPARTMENTS, start=1):
        kind = "police" if name.startswith("Công an") else "department"
        full_name = f"{name} {PROVINCE_NAME}" if name.endswith(" tỉnh") else f"{name} tỉnh {PROVINCE_NAME}"
        agencies.append(Agency(f"000.00.{number:02d}.{AGENCY_SUFFIX}", full_name, kind, root.code, name))
    places = [f"{first} {second}" for first in PLACE_FIRST for second in PLACE_SECOND if first != second]
    rng.shuffle(places)
    communes_per_district = (AGENCY_COUNT - len(agencies) - len(DISTRICTS) * (1 + len(DIVISIONS))) // len(DISTRICTS)
    for index, district in enumerate(DISTRICTS):
        number = 40 + index
        committee = Agency(f"000.00.{number:02d}.{AGENCY_SUFFIX}", f"Ủy ban nhân dân {district}", "district", root.code)
        agencies.append(committee)
        for division_number, division in enumerate(DIVISIONS, start=1):
            agencies.append(
                Agency(
                    f"000.{division_number:02d}.{number:02d}.{AGENCY_SUFFIX}",
                    f"{division} {district}",
                    "division",
                    committee.code,
                )
            )
        for commune_number in range(communes_per_district):
            level = "phường" if district.startswith(("thành phố", "thị xã")) else rng.choice(["xã", "xã", "thị trấn"])
            agencies.append(
                Agency(
                    f"000.{30 + commune_number:02d}.{number:02d}.{AGENCY_SUFFIX}",
                    f"Ủy ban nhân dân {level} {places.pop()}, {district}",
                    "commune",
                    committee.code,
                )
            )
    number = 0
    while len(agencies) < AGENCY_COUNT:  # Top up with public service units until the count is exact.
        number += 1
        agencies.append(
            Agency(
                f"000.99.{number:02d}.{AGENCY_SUFFIX}",
                f"Trung tâm dịch vụ công số {number} tỉnh {PROVINCE_NAME}",
                "service_unit",
                root.code,
            )
        )
    return agencies[:AGENCY_COUNT]


def _document_types() -> list[dict]:
    types, seen = [], set()
    for form in DOCUMENT_FORMS:
        for base in DOCUMENT_BASES:
            name = form.format(base if form == "{}" else base[0].lower() + base[1:])
            code = fold(name)[:60].rstrip("-")
            if code in seen:
                continue
            seen.add(code)
            types.append({"code": code, "name": {"vi": name}})
    return types[:100]


def _procedure(
    rng: random.Random, number: int, name: str, sector: str, keywords: list[str], agencies, documents
) -> dict:
    departments = {a.sector_department: a for a in agencies if a.sector_department}
    divisions = [a for a in agencies if a.kind == "division"]
    communes = [a for a in agencies if a.kind == "commune"]
    if "cấp xã" in name:
        receiving = rng.choice(communes)
    elif "cấp huyện" in name:
        receiving = rng.choice(divisions)
    else:
        receiving = rng.choices(
            [departments[SECTORS[sector][1]], rng.choice(divisions), rng.choice(communes)], weights=[5, 3, 2]
        )[0]
    others = [a.code for a in rng.sample(agencies, rng.randint(0, 2)) if a.code != receiving.code]
    days = rng.choice([0, 1, 3, 5, 7, 10, 15, 20, 30])
    processing_time: dict = {"working_days": days}
    if days == 0 and rng.random() < 0.5:
        processing_time["same_day_cutoff"] = "11:00"
    audience = rng.choice(AUDIENCES)
    lower = name[0].lower() + name[1:]
    procedure: dict = {
        "code": f"1.{100000 + number:06d}",
        "name": {"vi": name},
        "slug": f"{fold(name)[:180]}-{number}",
        "sector": sector,
        "summary": {"vi": f"Thủ tục {lower}, nộp hồ sơ tại {receiving.name} hoặc trực tuyến trên Cổng dịch vụ công."},
        "audience": {"vi": f"{audience} có nhu cầu {lower}."},
        "online_level": rng.choice(["full", "full", "partial"]),
        "receiving_agency": receiving.code,
    }
    if others:
        procedure["processing_agencies"] = others
    procedure["processing_time"] = processing_time
    procedure["steps"] = [
        {"vi": step}
        for step in [
            "Chuẩn bị hồ sơ theo danh mục giấy tờ bên dưới.",
            f"Nộp hồ sơ trực tuyến hoặc tại bộ phận một cửa của {receiving.name}.",
            "Nộp phí, lệ phí (nếu có) khi nộp hồ sơ.",
            "Cơ quan tiếp nhận kiểm tra, thẩm định hồ sơ; yêu cầu bổ sung một lần nếu hồ sơ chưa đầy đủ.",
            "Nhận kết quả theo hình thức đã chọn.",
        ][: rng.randint(3, 5)]
    ]
    procedure["documents"] = []
    for kind in rng.sample(documents, rng.randint(1, 6)):
        entry: dict = {"type": kind["code"]}
        if rng.random() < 0.3:
            entry["required"] = False
            entry["note"] = {"vi": "Chỉ nộp khi thuộc trường hợp được quy định."}
        procedure["documents"].append(entry)
    fees = rng.randint(0, 2)
    if fees:
        procedure["fees"] = [
            {"name": {"vi": "Lệ phí"}, "amount": rng.choice([20000, 50000, 100000, 200000, 500000])},
            {"name": {"vi": "Phí thẩm định"}, "amount": rng.choice([0, 150000, 1000000])},
        ][:fees]
    if rng.random() < 0.2:
        procedure["fee_note"] = {"vi": "Miễn lệ phí cho hộ nghèo, người có công và người khuyết tật."}
    result_name = "Giấy phép" if "giấy phép" in name else "Giấy chứng nhận" if "chứng nhận" in name else "Quyết định"
    procedure["result"] = {
        "name": {"vi": f"{result_name} ({lower})"},
        "delivery": rng.sample(["online", "counter", "post"], rng.randint(1, 3)),
    }
    procedure["legal_basis"] = rng.sample(LAWS, rng.randint(1, 3))
    if rng.random() < 0.3:
        procedure["faq"] = [
            {
                "question": {"vi": "Tôi có thể nộp hồ sơ trực tuyến không?"},
                "answer": {"vi": "Có, trên Cổng dịch vụ công của tỉnh, bằng tài khoản định danh điện tử."},
            }
        ]
    if keywords:
        procedure["keywords"] = keywords
    procedure["featured"] = number <= 8
    return procedure


def generate_pack(folder: Path) -> list[str]:
    """Write the synthetic pack into folder; return the procedure slugs."""
    rng = random.Random(SEED)
    agencies = _agencies(rng)
    documents = _document_types()
    assert len(agencies) == AGENCY_COUNT and len({a.code for a in agencies}) == AGENCY_COUNT
    assert len(documents) == 100

    combos = sorted(
        {
            (f"{action} {obj}{qualifier}", sector, tuple(keywords))
            for actions, obj, sector, keywords in OBJECTS
            for action in actions
            for qualifier in QUALIFIERS
        }
    )
    chosen = rng.sample(combos, PROCEDURE_COUNT)

    def dump(name: str, data) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # Block style throughout: flow mappings would break on the commas in Vietnamese names.
        path.write_text(
            yaml.safe_dump(data, allow_unicode=True, default_flow_style=False, sort_keys=False, width=1000),
            encoding="utf-8",
        )

    dump(
        "province.yaml",
        {
            "code": PROVINCE_CODE,
            "identifier": agencies[0].code,
            "name": {"vi": f"Tỉnh {PROVINCE_NAME}", "en": "Binh Ha Province (benchmark)"},
            "short_name": {"vi": PROVINCE_NAME, "en": "Binh Ha"},
            "timezone": "Asia/Ho_Chi_Minh",
            "working_hours": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
            "cutoff_time": "15:00",
            "branding": {"primary_colour": "#0b4f8a", "accent_colour": "#b3261e"},
            "contact": {"address": f"1 Đường {STREETS[0]}, {DISTRICTS[0]}", "hotline": "1900 0098"},
        },
    )
    dump(
        "agencies.yaml",
        {
            "agencies": [
                {
                    "code": a.code,
                    "name": {"vi": a.name},
                    "kind": a.kind,
                    **({"parent": a.parent} if a.parent else {}),
                    "address": f"{rng.randint(1, 200)} Đường {rng.choice(STREETS)}",
                    "opening_hours": "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:30–17:00",
                }
                for a in agencies
            ]
        },
    )
    dump(
        "catalogue.yaml",
        {
            "sectors": [{"code": code, "name": {"vi": name}} for code, (name, _dept) in SECTORS.items()],
            "document_types": documents,
        },
    )
    slugs = []
    for number, (name, sector, keywords) in enumerate(chosen, start=1):
        procedure = _procedure(rng, number, name, sector, list(keywords), agencies, documents)
        dump(f"procedures/p{number:04d}.yaml", procedure)
        slugs.append(procedure["slug"])
    return slugs


# ---------------------------------------------------------------------------------------------
# Measuring (the database and server helpers are in bench/_common.py)


@dataclass
class Request:
    path: str
    lists_results: bool | None = None  # For searches: whether the page must list results or list none.


def hammer(port: int, requests: list[Request], concurrency: int, name: str) -> Measurement:
    """Send the requests with `concurrency` threads, each with its own keep-alive connection."""
    measurement = Measurement(name)
    position = iter(range(len(requests)))
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, failures = [], []
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            request = requests[index]
            started = time.perf_counter()
            try:
                connection.request("GET", request.path)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                failures.append(f"{request.path}: {exc.__class__.__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(f"{request.path}: HTTP {response.status}")
            elif request.lists_results is not None and (b'class="results"' in body) != request.lists_results:
                problem = "no results listed" if request.lists_results else "results listed"
                failures.append(f"{request.path}: {problem}")
        connection.close()
        with lock:
            measurement.latencies.extend(latencies)
            measurement.failures.extend(failures)

    measurement.seconds = run_clients(worker, concurrency)
    return measurement


def measure_interleaved(
    targets: list[tuple[str, int, list[Request]]], concurrency: int, warmup: int, rounds: int
) -> list[Measurement]:
    """Warm each endpoint up, then measure them in turns, `rounds` slices each, so that a slow spell of the
    machine (other processes, CPU frequency) weighs on all endpoints alike rather than on one."""
    for name, port, requests in targets:
        hammer(port, requests[:warmup], concurrency, name)  # Caches, lazy imports, first connections.
    pooled = [Measurement(name) for name, _port, _requests in targets]
    for turn in range(rounds):
        for measurement, (name, port, requests) in zip(pooled, targets, strict=True):
            size = -(-len(requests) // rounds)
            part = hammer(port, requests[turn * size : (turn + 1) * size], concurrency, name)
            measurement.latencies.extend(part.latencies)
            measurement.failures.extend(part.failures)
            measurement.seconds += part.seconds
    return pooled


def report(measurements: list[Measurement], baseline: Measurement) -> bool:
    print()
    print(f"{'endpoint':<38} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'p95/bare':>9}")
    for m in measurements:
        ratio = m.percentile(0.95) / baseline.percentile(0.95)
        print(
            f"{m.name:<38} {len(m.latencies):>8} {m.percentile(0.50):>8.2f} {m.percentile(0.95):>8.2f} "
            f"{m.percentile(0.99):>8.2f} {m.throughput:>8.1f} {ratio:>8.1f}x"
        )
    search, page = measurements[1], measurements[2]
    search_ratio = search.percentile(0.95) / baseline.percentile(0.95)
    page_ratio = page.percentile(0.95) / baseline.percentile(0.95)
    print()
    print(f"search p95 / bare p95:          {search_ratio:.1f}")
    print(f"procedure page p95 / bare p95:  {page_ratio:.1f}")
    met = search_ratio < TARGET_RATIO
    print(f"TARGET search p95 < {TARGET_RATIO:g}x bare p95: {'MET' if met else 'NOT MET'}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL of a database to empty and use (default: SQLite)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per endpoint (default 2000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="turns the endpoints are measured in (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (pack, database, logs)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
    servers: list[Server] = []
    try:
        database_url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ONESTOP_VAR_DIR": str(folder / "var"),
            "PROVINCE": PROVINCE_CODE,
            "PUBLIC_URL": "http://127.0.0.1",  # required outside the demo; the bench follows no e-mailed link
            "SECRET_KEY": "bench-secret-not-for-production",
        }
        env.pop("ONESTOP_DEMO", None)
        (folder / "var").mkdir()

        print(header())
        if args.database_url:
            reset_postgres(args.database_url)
        started = time.perf_counter()
        slugs = generate_pack(folder / "pack")
        print(
            f"Generated {len(slugs)} procedures, {AGENCY_COUNT} agencies, {len(SECTORS)} sectors "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(f"Database: {database_url.split('@')[-1] if args.database_url else 'SQLite (temporary file)'}")
        started = time.perf_counter()
        run_flask(env, "db", "upgrade")
        run_flask(env, "province", "load", str(folder / "pack"))
        print(f"Loaded in {time.perf_counter() - started:.1f} s")

        real = start_server("onestop", "wsgi:app", env, folder, GUNICORN_SETTINGS)
        bare = start_server("bare", "bench.bare_app:app", env, folder, GUNICORN_SETTINGS)
        servers = [real, bare]
        wait_until_answering(real, "/healthz")
        wait_until_answering(bare, "/")

        rng = random.Random(SEED + 1)
        n = args.requests
        searches = [
            Request(f"/procedures?q={quote(query)}", lists_results=meant)
            for query, meant in (SEARCHES[i % len(SEARCHES)] for i in range(n))
        ]
        pages = [Request(f"/procedures/{rng.choice(slugs)}") for _ in range(n)]
        warmup = max(2 * len(SEARCHES), n // 10)
        print(
            f"gunicorn {' '.join(GUNICORN_SETTINGS)}; client: {args.concurrency} threads, {n} requests per endpoint "
            f"after {warmup} warm-up requests, measured in {args.rounds} interleaved rounds"
        )
        measurements = measure_interleaved(
            [
                ("bare Flask GET /", bare.port, [Request("/")] * n),
                ("search GET /procedures?q=", real.port, searches),
                ("procedure page GET /procedures/<slug>", real.port, pages),
            ],
            args.concurrency,
            warmup,
            args.rounds,
        )
        failures = [f"{m.name}: {failure}" for m in measurements for failure in m.failures]
        report(measurements, measurements[0])
        if failures:
            report_failures(sorted(set(failures)), real)
            return 1
        print("All responses were 200; searches meant to match listed results, the others none.")
        return 0
    finally:
        clean_up(servers, folder, args.keep)


if __name__ == "__main__":
    sys.exit(main())
