"""Known departure points (jetties, ports, border posts) and the ways people write them.

Reference data: the office extends it (OfficeConfig / WarningConfig.places). Names only,
no coordinates: matching is by name; a GPS answer stays sealed in the report.
"""
KNOWN_PLACES: dict[str, list[str]] = {
    "Pelabuhan Tunon Taka (Nunukan)": ["tunon taka", "pelabuhan tunon taka", "pelabuhan nunukan"],
    "Dermaga Sei Menggaris": ["sei menggaris", "sungai menggaris", "dermaga menggaris"],
    "Dermaga Sungai Nyamuk (Sebatik)": ["sungai nyamuk", "sei nyamuk", "dermaga sebatik"],
    "Pelabuhan Liem Hie Djung (Nunukan)": ["liem hie djung", "lim hie jung", "pelabuhan lhd"],
    "PLBN Entikong": ["entikong", "pos entikong"],
    "PLBN Aruk": ["aruk", "pos aruk"],
    "PLBN Mota'ain": ["motaain", "mota ain", "pos motaain"],
    "Pelabuhan Dumai": ["dumai", "pelabuhan dumai"],
    "Pelabuhan Tanjung Balai Karimun": ["tanjung balai karimun", "tbk", "karimun"],
    "Pelabuhan Batam Centre": ["batam centre", "batam center", "pelabuhan batam"],
}
