"""The dashboard's keyed search index also covers what v2 reports put in repeat entries
(a calo's name, a boat), and still never indexes a GPS point."""
import forms
from office.dashboard.indexer import search_words


def test_repeat_entries_are_searchable_gps_is_not():
    form = forms.load("keberangkatan_pmi", 2)
    answers = form.example()
    words = search_words(form, answers)
    assert {"udin", "sinar", "jaya", "0812"} <= words
    assert not {"13681", "66642", "117"} & words          # lat 4.13681, lon 117.66642 stay out
