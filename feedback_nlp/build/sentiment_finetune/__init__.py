"""Fine-tune the e5 body with a 3-class head on the licence-clean sentiment data.

Behind ``feedback-nlp models train sentiment``. The routine:

1. reads the training rows — the project's seed set (``corpora/sentiment_seed``), the copied rows
   of the ``sources`` of ``corpora/sentiment_train/`` (GoEmotions, HebEMO, SentiMP-21, XED: see
   ``corpora/manifests/sentiment_train.json``) and the Hebrew OnlpLab ``train``/``dev`` files when
   ``../shared/corpora/hebrew_sentiment_onlplab`` is there — and nothing else (never an
   evaluation file, the regression set, XLM-T, ParsiNLU or SemEval);
2. holds out a dev split of those rows (``dev_fraction``, chosen by a hash of the text, so the
   same rows on every run and resume);
3. trains the body (word table and the ``freeze_layers`` lower layers frozen, at least
   :data:`~feedback_nlp.build.e5_build.TRUNK_LAYERS`, so that it can branch off the embedder) and a
   linear head over the L2-normalised mean-pooled vector times ``HEAD_SCALE``, with AdamW (body
   ``lr``, head ``head_lr``), linear warm-up and decay, batches drawn across (source, language)
   groups: a group (uniformly, or by ``group_weights``), a class of it (uniformly, or by its row
   count to the power ``class_power``), a row of it uniformly, from a generator seeded by
   ``(seed, step)``, so that a resumed run draws the same batches as an uninterrupted one; the
   rows of a group without a neutral row are scored on negative against positive only
   (``polar_loss``);
4. checkpoints every ``checkpoint_every`` steps (and when ``max_minutes`` runs out) to
   ``checkpoint_dir/last.pt`` — body, head, optimiser, step — and resumes from it (``resume``);
5. at the end writes the upper layers as a branch
   (:func:`~feedback_nlp.build.e5_branch.save_branch`), embeds the dev rows with the default
   embedder and that int8 branch (what runs in production), fits a temperature on them
   (minimum negative log-likelihood) and writes ``head.npz`` (coef and intercept divided by it),
   ``manifest.json`` and the model card, optionally with the scores of the evaluation files.

The parts, one module each: :mod:`~feedback_nlp.build.sentiment_finetune.config` (settings,
records and paths), :mod:`~feedback_nlp.build.sentiment_finetune.rows` (steps 1 and 2 and the
batch sampler), :mod:`~feedback_nlp.build.sentiment_finetune.head` (the model and optimiser of
step 3), :mod:`~feedback_nlp.build.sentiment_finetune.checkpoints` (step 4),
:mod:`~feedback_nlp.build.sentiment_finetune.training` (the loop, :func:`train_sentiment`),
:mod:`~feedback_nlp.build.sentiment_finetune.finish` (step 5),
:mod:`~feedback_nlp.build.sentiment_finetune.scoring` (macro-F1, temperature) and
:mod:`~feedback_nlp.build.sentiment_finetune.card` (the model card).
"""

from feedback_nlp.build.sentiment_finetune.card import model_card as model_card
from feedback_nlp.build.sentiment_finetune.config import CHECKPOINT as CHECKPOINT
from feedback_nlp.build.sentiment_finetune.config import DEFAULT_CHECKPOINTS as DEFAULT_CHECKPOINTS
from feedback_nlp.build.sentiment_finetune.config import DEFAULT_OUT as DEFAULT_OUT
from feedback_nlp.build.sentiment_finetune.config import EVAL_DIR as EVAL_DIR
from feedback_nlp.build.sentiment_finetune.config import HEAD_SCALE as HEAD_SCALE
from feedback_nlp.build.sentiment_finetune.config import REGRESSION_DIR as REGRESSION_DIR
from feedback_nlp.build.sentiment_finetune.config import REPO_ROOT as REPO_ROOT
from feedback_nlp.build.sentiment_finetune.config import FinetuneConfig, FinetuneOutcome, TrainRow
from feedback_nlp.build.sentiment_finetune.config import Log as Log
from feedback_nlp.build.sentiment_finetune.rows import balanced_batch, load_finetune_rows, split_dev
from feedback_nlp.build.sentiment_finetune.scoring import fit_temperature, group_macro_f1
from feedback_nlp.build.sentiment_finetune.training import train_sentiment

__all__ = [
    "FinetuneConfig",
    "FinetuneOutcome",
    "TrainRow",
    "balanced_batch",
    "fit_temperature",
    "group_macro_f1",
    "load_finetune_rows",
    "split_dev",
    "train_sentiment",
]
