"""fieldapp/i18n: sizes a volunteer reads, in her language."""
import pytest

from fieldapp import i18n


@pytest.mark.parametrize("n, lang, text", [
    (10 * 1024 ** 3, "id", "10,0 GB"),              # a 10 GiB phone: never "10240.0 MB"
    (10 * 1024 ** 3, "en", "10.0 GB"),
    (int(1536.5 * 1024 ** 2), "id", "1,5 GB"),
    (int(1023.5 * 1024 ** 2), "id", "1.023,5 MB"),   # dot for thousands, comma for decimals
    (int(1023.5 * 1024 ** 2), "en", "1,023.5 MB"),
    (int(2.5 * 1024 ** 2), "id", "2,5 MB"),
    (300 * 1024, "id", "300 KB"),
    (10, "id", "1 KB"),                              # a few bytes still read as something
])
def test_size_text_reads_as_numbers_are_written_in_each_language(n, lang, text):
    assert i18n.size_text(n, lang) == text


def test_size_text_defaults_to_indonesian():
    assert i18n.size_text(3 * 1024 ** 3) == "3,0 GB"
