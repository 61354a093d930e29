"""What step 3 trains: the e5 model with a linear head, and the AdamW optimiser over both.

PyTorch and the e5 training helpers are imported inside the functions, so that importing the
package loads neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from feedback_nlp.build.sentiment_finetune.config import HEAD_SCALE, FinetuneConfig
from feedback_nlp.sentiment.classifier import LABELS

if TYPE_CHECKING:
    import torch


class _Head:
    """The trainable pieces: the e5 model and a linear layer over its scaled unit vectors."""

    def __init__(self, config: FinetuneConfig) -> None:
        import torch

        from feedback_nlp.build.e5_training import load_trainable

        torch.manual_seed(config.seed)
        self.model, self.tokenizer = load_trainable()
        if config.freeze_layers:
            self.model.embeddings.requires_grad_(False)
            for layer in self.model.encoder.layer[: config.freeze_layers]:
                layer.requires_grad_(False)
        self.linear = torch.nn.Linear(self.model.config.hidden_size, len(LABELS))
        torch.nn.init.zeros_(self.linear.weight)
        torch.nn.init.zeros_(self.linear.bias)

    def logits(self, texts: Sequence[str], max_length: int) -> torch.Tensor:
        import torch

        from feedback_nlp.build.e5_training import batch_inputs, mean_pool

        inputs = batch_inputs(self.tokenizer, texts, max_length=max_length)
        pooled = mean_pool(self.model(**inputs).last_hidden_state, inputs["attention_mask"])
        unit = torch.nn.functional.normalize(pooled, dim=1)
        out: torch.Tensor = self.linear(unit * HEAD_SCALE)
        return out


def sentiment_loss(
    logits: torch.Tensor, labels: torch.Tensor, polar_only: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy over the batch; a ``polar_only`` row's over negative and positive only.

    A row of a group labelled for polarity only leaves the neutral logit out of its softmax, so
    it teaches which polarity a text has without teaching that its language is never neutral
    (a 3-class loss on such rows made the model predict neutral for 2% of the Spanish tweets).

    Args:
        logits: Shape ``(n, 3)``, in :data:`~feedback_nlp.sentiment.classifier.LABELS` order.
        labels: Class indices, shape ``(n,)``; a ``polar_only`` row's is never neutral.
        polar_only: Booleans, shape ``(n,)``.
    """
    import torch

    negative, neutral, positive = (LABELS.index(c) for c in ("negative", "neutral", "positive"))
    if bool((polar_only & (labels == neutral)).any()):
        raise ValueError("A polar-only row cannot be labelled neutral.")
    full = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    polar_logits = logits[:, [negative, positive]]
    polar = torch.nn.functional.cross_entropy(
        polar_logits, (labels == positive).long(), reduction="none"
    )
    return torch.where(polar_only, polar, full).mean()


def _optimiser(head: _Head, config: FinetuneConfig) -> Any:
    import torch

    body = [p for p in head.model.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        [
            {"params": body, "lr": config.lr, "weight_decay": config.weight_decay},
            {"params": list(head.linear.parameters()), "lr": config.head_lr, "weight_decay": 0.0},
        ]
    )
