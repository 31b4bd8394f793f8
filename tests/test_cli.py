"""The shared argument types: accepted forms and the usage errors argparse prints."""

import argparse

import pytest

from step_tf.cli import fractions, int_list, name_list


def test_int_list():
    assert int_list("1,2,2") == (1, 2, 2)
    assert int_list("7") == (7,)
    with pytest.raises(argparse.ArgumentTypeError, match="whole numbers"):
        int_list("1,two")


def test_name_list_drops_blanks_and_needs_one_name():
    assert name_list(" angry, neutral,,happy ") == ("angry", "neutral", "happy")
    with pytest.raises(argparse.ArgumentTypeError, match="comma-separated names"):
        name_list(" , ")


@pytest.mark.parametrize("text", ["0.7,0.3", "0.7,0.2,x", "0.5,0.2,0.2,0.1"])
def test_fractions_need_three_numbers(text):
    assert fractions("0.6,0.3,0.1") == (0.6, 0.3, 0.1)
    with pytest.raises(argparse.ArgumentTypeError, match="three comma-separated fractions"):
        fractions(text)
