from __future__ import annotations

import pytest

from insight.config.definition import NOT_STATED, DefinitionError, normalise_label
from insight.config.loader import load_config
from tests.conftest import copy_config


def test_every_bundled_definition_loads(definitions):
    assert {"victim", "wmnow"} <= set(definitions)
    victim = definitions["victim"]
    assert victim.aspects == ["initial_contact", "actions", "feedback", "treatment", "overall"]
    assert set(victim.dimensions) == {"offence", "channel", "channel_group", "npu", "age", "ethnicity", "gender"}
    assert victim.dimensions["channel_group"].label_map()["999"] == "Phone"
    assert victim.dimensions["channel_group"].label_map()["101"] == "Phone"
    eth = victim.dimensions["ethnicity"]
    assert sum(len(v) for v in eth.groups.values()) == 19
    assert eth.label_map()[normalise_label("White: Roma")] == "White"
    assert eth.label_map()["prefer not to say"] == NOT_STATED
    assert definitions["wmnow"].kind == "membership"
    assert definitions["wmnow"].dimensions["ethnicity"].label_map()["asian or asian british"] == "Asian"


def test_labels_compare_regardless_of_case_spacing_and_apostrophes():
    assert normalise_label("  Don\u2019t   KNOW ") == normalise_label("Don't know")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("positive: [Completely satisfied, Very satisfied, Fairly satisfied]", "positive: [Totally satisfied]"),
         "scales.yaml: satisfied_7.positive: 'Totally satisfied' is not on the scale"),
    ],
)  # fmt: skip
def test_scale_mistake_names_file_and_key_path(tmp_path, edit, message):
    config = copy_config(tmp_path)
    path = config / "scales.yaml"
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(DefinitionError, match=message):
        load_config(config)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("scale: satisfied_7\n  actions", "scale: satisfied_77\n  actions",
         r"victim.yaml: questions.initial_contact.scale: unknown scale 'satisfied_77'"),
        ("granularity: month", "granularity: fortnight", r"victim.yaml: period.granularity: 'fortnight' is not one of"),
        ("headline: overall", "headline: happiness", r"victim.yaml: headline: 'happiness' is not one of the questions"),
        ("pii_columns: [Email Address]", "pii_columns: [Email Address, NPU]",
         r"victim.yaml: pii_columns: 'NPU' is PII but is also read as data"),
        ("      Phone: [\"999\", \"101\"]", "      Phone: [\"999\", \"101\"]\n      Other: [\"999\"]",
         r"victim.yaml: dimensions.channel_group: label '999' is in both 'Phone' and 'Other'"),
        ("dataset: victim", "dataset: victims", r"victim.yaml: dataset: 'victims' must match the file name"),
        ("min_base: 10", "min_base: 80", r"victim.yaml: suppression: need 1 <= min_base <= caution_base"),
        ("  npu: {use: npu, column: NPU}", "  npu: {use: npus, column: NPU}",
         r"victim.yaml: dimensions.npu.use: no dimension template 'npus'"),
    ],
)  # fmt: skip
def test_definition_mistake_names_file_and_key_path(tmp_path, old, new, message):
    config = copy_config(tmp_path)
    path = config / "surveys" / "victim.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DefinitionError, match=message):
        load_config(config)


def test_unquoted_yes_is_caught(tmp_path):
    config = copy_config(tmp_path)
    path = config / "scales.yaml"
    path.write_text(path.read_text().replace('answers: ["Yes", "No", Not sure]', "answers: [Yes, No, Not sure]"))
    with pytest.raises(DefinitionError, match="quote it"):
        load_config(config)


def test_yaml_is_loaded_safely(tmp_path):
    config = copy_config(tmp_path)
    marker = tmp_path / "pwned"
    (config / "surveys" / "evil.yaml").write_text(f"dataset: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(DefinitionError, match=r"evil\.yaml"):
        load_config(config)
    assert not marker.exists()


def test_a_new_survey_is_just_a_yaml_file(tmp_path):
    config = copy_config(tmp_path)
    (config / "surveys" / "front_counter.yaml").write_text(
        """
dataset: front_counter
title: Front counter survey
id_column: Visit ID
period: {column: Visit Date, formats: ["%d/%m/%Y"], granularity: quarter}
dimensions:
  npu: {use: npu, column: NPU}
questions:
  overall: {column: "How satisfied were you?", label: Overall, scale: satisfied_5}
"""
    )
    defs = load_config(config).definitions
    assert defs["front_counter"].period.granularity == "quarter"
    assert defs["front_counter"].questions["overall"].scale.positive == ("Very satisfied", "Fairly satisfied")
