"""The bundled text: ember.datasets.load_text."""
from ember.datasets import load_text


def test_load_text_is_the_opening_of_alice():
    text = load_text()
    assert text.startswith("Alice was beginning to get very tired of sitting by her sister on the bank")
    assert text.rstrip().endswith("never once considering how in the world she was to get out again.")
    assert text.count("\n\n") == 3 and len(text) == 1440
