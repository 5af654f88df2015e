"""The one alias every emulator module shares: a JSON object as the API sends and stores it.

Request and response bodies are free-form JSON by nature (Google's own discovery document
types them as objects of objects), so they stay dicts rather than a dataclass per message.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
