"""A status line shows one sentence of an error, never a word cut in half."""

from __future__ import annotations

from app.common.text import clip, counted, error_parts, first_sentence


def test_the_first_sentence_of_an_error() -> None:
    error = ("'Install' failed: Okta refused the catalog key 'x_y'. Install it by hand: Applications > "
             "API Service Integrations, with the scopes okta.users.read, okta.logs.read. Then select Retry.")
    assert first_sentence(error) == "'Install' failed: Okta refused the catalog key 'x_y'."


def test_a_long_sentence_is_cut_between_words_and_says_so() -> None:
    sentence = "The wizard needs to make a new client secret " + "and another clause " * 20 + "end."
    shown = first_sentence(sentence, 80)
    assert len(shown) <= 80 and shown.endswith("…")
    assert sentence.startswith(shown.removesuffix("…")) and sentence[len(shown) - 1] == " "


def test_text_that_fits_is_kept_whole_with_its_spaces_tidied() -> None:
    assert clip("Waiting  for\nthe token", 500) == "Waiting for the token"
    assert clip("x" * 600, 500) == "x" * 499 + "…"  # one word longer than the limit: cut, still marked


def test_a_count_reads_as_a_sentence() -> None:
    """The PDF said "(1 lines)", "1 action(s)", "0 time(s)" (QA)."""
    assert [counted(n, "line") for n in (0, 1, 2)] == ["0 lines", "1 line", "2 lines"]
    assert counted(3, "person", "people") == "3 people"


def test_an_error_is_laid_out_as_what_failed_what_to_do_and_what_okta_said() -> None:
    error = ("'Install' failed: Okta refused the catalog key 'x_y'. Install it by hand. Then select Retry. "
             "Okta said: E0000001: Api validation failed: type")
    assert error_parts(error) == ("'Install' failed: Okta refused the catalog key 'x_y'.",
                                  "Install it by hand. Then select Retry.", "E0000001: Api validation failed: type")
    assert error_parts("One sentence only.") == ("One sentence only.", "", "")
