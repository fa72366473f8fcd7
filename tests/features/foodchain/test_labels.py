"""The food chain's computed button labels fit WhatsApp (20 characters), in every language.

The shared label test reads literal keys only; these families are built from lists.
"""

from __future__ import annotations

from bot.features.foodchain.render import (
    buyer_label,
    delivery_label,
    kind_label,
    product_label,
    refusal_label,
    volume_label,
)
from bot.features.foodchain.service import (
    BUYER_KINDS,
    DELIVERY,
    KINDS,
    PRODUCTS,
    REFUSALS,
    SEASONS,
    VOLUMES,
)
from bot.i18n import LANGUAGES, Translator


def test_every_computed_label_fits_a_whatsapp_button() -> None:
    too_long = []
    for lang in LANGUAGES:
        t = Translator(lang)
        labels = [
            *(f"✅ {product_label(t, p)}" for p in PRODUCTS),
            *(kind_label(t, k) for k in KINDS),
            *(buyer_label(t, b) for b in BUYER_KINDS),
            *(volume_label(t, v) for v in VOLUMES),
            *(f"✅ {delivery_label(t, d)}" for d in DELIVERY),
            *(f"✅ {t(f'food.season_{s}')}" for s in SEASONS),
            *(f"✅ {m.strip()}" for m in t("food.month_names").split(",")),
            f"✅ {t('food.all_year')}",
            *(refusal_label(t, r) for r in REFUSALS),
        ]
        too_long += [f"{lang}: {label!r}" for label in labels if len(label) > 20]
    assert not too_long, too_long


def test_month_names_are_twelve_in_every_language() -> None:
    for lang in LANGUAGES:
        assert len(Translator(lang)("food.month_names").split(",")) == 12
