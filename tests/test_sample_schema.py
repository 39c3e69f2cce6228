import pytest
from pydantic import ValidationError

from triforce.sample import Message, Provenance, Sample


def _sample(answer: str = "LDA #$01\nRTL") -> Sample:
    return Sample(
        messages=[Message(role="user", content="Load one."), Message(role="assistant", content=answer)],
        domain="din",
        task="asm.base",
        source="alttp-asm-base",
        provenance=Provenance(corpus="bundled", origin="original", routine="LoadOne"),
    )


def test_id_is_stable_and_content_derived() -> None:
    assert _sample().id == _sample().id
    assert _sample().id != _sample("LDA #$02\nRTL").id


def test_group_defaults_to_routine() -> None:
    assert _sample().group == "bundled::LoadOne"


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate({**_sample().model_dump(), "bogus": 1})
