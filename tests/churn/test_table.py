"""Reading an operator's labelled table: label spellings, headerless files, text numbers, identifiers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telcocrm.churn.table import read_labelled_table
from telcocrm.errors import InvalidInput


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("churned", "stayed"),
    [("Yes", "No"), (" True.", " False."), ("1", "0"), ("y", "N"), ("churn", "stay"), ("TRUE", "false")],
)
def test_label_spellings_become_one_for_churned(tmp_path: Path, churned: str, stayed: str) -> None:
    path = _csv(tmp_path / "t.csv", f"id,arpu,left\na,10,{churned}\nb,20,{stayed}\nc,30,{stayed}\n")
    table = read_labelled_table(path, "left", id_column="id")
    assert table.label.tolist() == [1, 0, 0]
    assert table.ids is not None and table.ids.tolist() == ["a", "b", "c"]
    assert list(table.features.columns) == ["arpu"]


@pytest.mark.parametrize(
    ("labels", "shown"),
    [(["yes", "no", "maybe"], "maybe"), (["yes", "yes", "yes"], "yes"), (["up", "down", "up"], "down")],
)
def test_refuses_a_label_that_is_not_two_known_classes(tmp_path: Path, labels: list[str], shown: str) -> None:
    rows = "".join(f"{n},{label}\n" for n, label in enumerate(labels))
    with pytest.raises(InvalidInput) as refused:
        read_labelled_table(_csv(tmp_path / "t.csv", "arpu,status\n" + rows), "status")
    assert refused.value.field == "status"
    assert "status" in refused.value.message and shown in refused.value.message


def test_refuses_a_column_the_table_lacks(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_labelled_table(_csv(tmp_path / "t.csv", "arpu,churn\n1,yes\n2,no\n"), "churned")
    assert refused.value.field == "churned"


def test_headerless_file_names_columns_by_position_and_parses_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    lines = [
        f"{state}, {n:03d}-{rng.integers(1000, 9999)}, {'' if n % 10 == 0 else f'{rng.normal(100, 5):.2f}'}, "
        f"{'yes' if n % 3 else 'no'}, {'True.' if n % 4 == 0 else 'False.'}"
        for n, state in zip(range(120), rng.choice(["KS", "OH", "NJ"], 120), strict=True)
    ]
    table = read_labelled_table(_csv(tmp_path / "churn.all", "\n".join(lines) + "\n"), "column_5", header=False)
    assert list(table.features.columns) == ["column_1", "column_3", "column_4"]
    assert isinstance(table.features["column_1"].dtype, pd.CategoricalDtype)
    assert set(table.features["column_1"].cat.categories) == {"KS", "OH", "NJ"}  # spaces after commas trimmed
    assert table.features["column_3"].dtype == "float64" and table.features["column_3"].isna().sum() == 12
    assert "identifier" in table.dropped["column_2"]  # a phone number
    assert table.label.sum() == 30


def test_digit_codes_are_identifiers_but_numbers_are_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "msisdn": [f"1390{n:07d}" for n in rng.permutation(200)],
            "charges": rng.gamma(3, 40, 200).round(2),  # nearly unique too, but a quantity
            "plan": rng.choice(["a", "b"], 200),
            "churn": rng.choice(["Yes", "No"], 200),
            "constant": "x",
        }
    )
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_labelled_table(tmp_path / "t.parquet", "churn")
    assert set(table.dropped) == {"msisdn", "constant"}
    assert list(table.features.columns) == ["charges", "plan"]
