from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from feedback_nlp.errors import ModelNotInstalledError, NotFoundError
from feedback_nlp.models import MODEL_SPECS, check_model, get_spec, load_model, package_dir


def test_models_registry_pins_exact_versions() -> None:
    for spec in MODEL_SPECS.values():
        assert spec.requirement == f"{spec.package}=={spec.version}"
        assert all(part.isdigit() for part in spec.version.split(".")), spec.version


def test_models_missing_package_names_the_pip_line() -> None:
    ghost = dataclasses.replace(
        get_spec("e5-small-multilingual"), package="no-such-model-package", version="1.2.3"
    )
    with pytest.raises(ModelNotInstalledError) as caught:
        package_dir(ghost)
    assert "pip install 'no-such-model-package==1.2.3'" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_models_wrong_version_is_refused() -> None:
    wrong = dataclasses.replace(get_spec("e5-small-multilingual"), version="0.0.1")
    with pytest.raises(ModelNotInstalledError, match=r"version 0\.3\.0 is installed instead"):
        package_dir(wrong)


def test_models_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="e5-small-multilingual"):
        get_spec("gpt-17")


def test_models_loading_forces_offline_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    load_model("e5-small-multilingual")
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODEL_SPECS))
def test_models_check_loads_each_model_offline(name: str) -> None:
    result = check_model(name, verify=True)
    assert result.sha256_ok in (True, None)
    assert result.load_seconds >= 0
    if MODEL_SPECS[name].dim is not None:
        assert result.dim == MODEL_SPECS[name].dim


SAME_COMPLAINT = {
    "en": "My order arrived two weeks late and nobody told me why.",
    "ar": "وصل طلبي متأخرا أسبوعين ولم يخبرني أحد بالسبب.",
    "he": "ההזמנה שלי הגיעה באיחור של שבועיים ואף אחד לא הסביר למה.",
    "fa": "سفارشم دو هفته دیر رسید و هیچ‌کس دلیلش را نگفت.",
    "lt": "Mano užsakymas atkeliavo dviem savaitėmis vėliau ir niekas nepaaiškino kodėl.",
}
UNRELATED = [
    "The new dark mode looks beautiful on my phone.",
    "I was charged twice for the same subscription this month.",
    "Customer support answered my question within minutes.",
]


def test_models_e5_places_one_complaint_close_across_languages(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    same = e5_embedder.encode(list(SAME_COMPLAINT.values()))
    other = e5_embedder.encode(UNRELATED)
    assert same.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(same, axis=1), 1.0, rtol=1e-5)
    within = same @ same.T
    across = same @ other.T
    for i, lang in enumerate(SAME_COMPLAINT):
        others = np.delete(within[i], i)
        assert others.min() > across[i].max(), f"{lang}: translation not closest"
