"""``gysim sensitivity`` without --params (issue 13) and with --targets as outputs."""

from __future__ import annotations

import gysim
from gysim.cli import main


def test_without_params_every_assumption_is_varied_and_the_rest_explained(capsys):
    from gysim_models._common import uncertain_parameters
    model = gysim.load_model("population")
    assumptions = uncertain_parameters(model)
    argv = ["sensitivity", "population", "--analysis", "morris", "-n", "2", "--outputs",
            "population", "--no-progress"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(": " + ", ".join(assumptions))
    fixed = lines[1].split("with bounds: ")[1].split(", ")
    # every parameter with a range is either varied or named as fixed, and why
    ranged = [n for n, p in model.params.items() if p.bounds and p.bounds[0] < p.bounds[1]]
    assert sorted(assumptions + fixed) == sorted(ranged)
    why = lines[2]
    kinds = {n: model.params[n].source.split(":")[0] for n in fixed}
    n_data = sum(k == "data" for k in kinds.values())
    n_plan = sum(k == "plan" for k in kinds.values())
    assert why.startswith(f"  why: their values come from data ({n_data}) or plan ({n_plan}), "
                          f"not assumptions; left out by the provider although an assumption: "
                          f"plan_implementation (source: 'assumption: scenario switch")


def test_targets_are_outputs_equal_to_their_variable_at_the_year(capsys):
    argv = ["sensitivity", "population", "--params", "birth_rate,death_rate", "--outputs",
            "population", "--targets", "total_population_2010", "-n", "16", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    blocks = out.split("\n\n")
    by_output = {b.splitlines()[0]: b.splitlines()[1:] for b in blocks[1:]}
    # the target measures population in 2010, the time the table shows: the same indices
    assert by_output["total_population_2010"] == by_output["population"]


def test_unknown_target_is_named(capsys):
    argv = ["sensitivity", "population", "--targets", "total_population_2011", "-n", "4",
            "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--targets: 'total_population_2011' is not a target of model 'population'; did you " \
           "mean 'total_population_2010'" in err
