"""The sample order the tests and the notebooks submit: valid, in EUR, two lines (2 x 12.50 + 0.99 = 25.99).
Override any field to make it something else."""

from __future__ import annotations

import copy
from typing import Any

SAMPLE_ORDER: dict[str, Any] = {
    "customerId": "cust-42",
    "currency": "EUR",
    "email": "ada@example.com",
    "items": [
        {"sku": "BOOK-1", "quantity": 2, "unitPrice": "12.50"},
        {"sku": "PEN-7", "quantity": 1, "unitPrice": "0.99"},
    ],
}


def sample_order(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the sample order with `overrides` applied (callers may change it freely)."""
    return {**copy.deepcopy(SAMPLE_ORDER), **overrides}
