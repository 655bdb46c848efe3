"""The paper's figures of every ablation row (`keras_sfnet.ablation.paper`) and the
rank agreement (`keras_sfnet.ablation.ranking`)."""

from __future__ import annotations

import glob
import json
import os
import re

import pytest
from conftest import SHARED

from keras_sfnet.ablation import ABLATION_ROWS
from keras_sfnet.ablation.paper import PAPER_RESULTS, baseline_of, paper_delta
from keras_sfnet.ablation.ranking import kendall_tau, rank_descending

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_TABLES = SHARED / "docs" / "paper_tables.md"
# Rows of ours the paper has no figure for (the other two-level pairs of 1(b), and
# section 3.3, which only its text describes).
NOT_IN_PAPER = {"1b_fam_p3_p4", "1b_fam_p3_p5", "s33_fusion_fam"}


def test_every_row_has_its_paper_entry_and_every_paper_row_is_a_row():
    assert list(PAPER_RESULTS) and set(PAPER_RESULTS) == set(ABLATION_ROWS)
    missing = {k for k, r in ABLATION_ROWS.items() if r.paper_miou is None}
    assert missing == NOT_IN_PAPER
    for key, row in ABLATION_ROWS.items():
        assert row.paper_miou == PAPER_RESULTS[key].miou
        assert row.paper_gflops == PAPER_RESULTS[key].gflops
        if row.paper_miou is None:
            assert PAPER_RESULTS[key].note, key  # says why there is no figure


def test_printed_deltas_equal_the_difference_to_the_baseline_row():
    printed = {k: r.delta for k, r in PAPER_RESULTS.items() if r.delta is not None}
    assert len(printed) == 25  # 1(a) 5, 1(b) 5, 1(c) 4, 1(d) 5, 2(c) 2, 2(d) 4
    for key, delta in printed.items():
        assert paper_delta(key) == pytest.approx(delta, abs=1e-9), key
    for key in PAPER_RESULTS:
        base = baseline_of(key)
        if base is not None:
            # A baseline is a row of the same table that has no baseline itself.
            assert base.split("_")[0] == key.split("_")[0] and baseline_of(base) is None
    with pytest.raises(ValueError, match="Unknown ablation row"):
        baseline_of("9z_row")


def _section_numbers(text, section, column):
    """Floats of one column of one `### <section>` table of paper_tables.md."""
    block = text.split(f"### {section}", 1)[1].split("\n#", 1)[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    index = header.index(column)
    values = []
    for line in lines[2:]:
        cell = line.strip("|").split("|")[index].strip()
        if re.fullmatch(r"\d+(\.\d+)?", cell):
            values.append(float(cell))
    return values


@pytest.mark.parametrize("table", ["1(a)", "1(b)", "1(c)", "1(d)", "2(a)", "2(b)", "2(c)", "2(d)"])
def test_figures_are_the_transcribed_tables(table):
    if not PAPER_TABLES.is_file():
        pytest.skip(f"{PAPER_TABLES} not found (it lives beside the checkout)")
    text = PAPER_TABLES.read_text(encoding="utf-8")
    rows = [r for r in ABLATION_ROWS.values() if r.table == table]
    ours = sorted(r.paper_miou for r in rows if r.paper_miou is not None)
    assert ours == sorted(_section_numbers(text, table, "mIoU"))
    if table in ("1(c)", "1(d)", "2(b)"):
        # The tables with a cost column; released-network rows of other tables carry
        # the same network's 123.5 from these.
        costs = sorted(r.paper_gflops for r in rows if r.paper_gflops is not None)
        assert costs == sorted(_section_numbers(text, table, "GFLOPs"))


def test_config_files_carry_the_paper_figures():
    paths = sorted(glob.glob(os.path.join(REPO, "configs", "ablations", "*.json")))
    assert len(paths) == len(ABLATION_ROWS)
    for path in paths:
        key = os.path.basename(path)[:-5]
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
        expected = PAPER_RESULTS[key].miou
        assert config["_paper_miou"] == (expected if expected is not None else "not in the paper")


def test_kendall_tau_known_cases():
    assert kendall_tau([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # One discordant pair of six: (5 - 1) / 6.
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(2 / 3)
    # tau-b with ties: C = 4, D = 0, one pair tied in x, one in y: 4 / sqrt(5 * 5).
    assert kendall_tau([1, 2, 2, 3], [1, 2, 3, 3]) == pytest.approx(0.8)
    # scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) = -0.47140452079103173
    assert kendall_tau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) == pytest.approx(-0.4714045208)
    assert kendall_tau([1.0], [2.0]) is None
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None
    with pytest.raises(ValueError, match="same length"):
        kendall_tau([1, 2], [1])


def test_rank_descending_shares_ties():
    assert rank_descending([78.3, 76.6, 77.5, 77.5]) == [1, 4, 2, 2]
    assert rank_descending([]) == []
