"""Theme mining: cluster unit embeddings into labelled, quoted, grouped themes with stable ids."""

from feedback_nlp.themes.cluster import ThemeClusterer
from feedback_nlp.themes.label import KeyphraseLabeler, ThemeLabel
from feedback_nlp.themes.miner import MiningResult, ParentTheme, Quote, Theme, ThemeMiner
from feedback_nlp.themes.registry import EmergingTheme, RegisteredTheme, ThemeRegistry

__all__ = [
    "EmergingTheme",
    "KeyphraseLabeler",
    "MiningResult",
    "ParentTheme",
    "Quote",
    "RegisteredTheme",
    "Theme",
    "ThemeClusterer",
    "ThemeLabel",
    "ThemeMiner",
    "ThemeRegistry",
]
