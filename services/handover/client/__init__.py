"""A typed Python client of the handover API (httpx + msgspec, the contract's own types).

```python
from services.handover.client import HandoverClient

async with HandoverClient("http://127.0.0.1:8000", token=lambda: token) as client:
    async for event in client.feed(after=None):
        ...
```

See `HandoverClient` (retries with one Idempotency-Key per call, ETags, the feed),
`errors` (one exception per problem) and `webhooks` (checking a signed delivery).
"""

from services.handover.client.client import (
    CursorStore,
    FileCursor,
    HandoverClient,
    IfMatch,
    MemoryCursor,
    RetryPolicy,
    TokenSource,
)
from services.handover.client.errors import (
    BlockedAction,
    ConflictError,
    ETagUnknown,
    FieldError,
    ForbiddenError,
    GoneError,
    HandoverClientError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    NotFoundError,
    PreconditionFailedError,
    Problem,
    ProblemError,
    RateLimitedError,
    ServerError,
    TooLargeError,
    TransportError,
    UnauthorizedError,
    UnavailableError,
    UnprocessableError,
    UnsupportedMediaTypeError,
)
from services.handover.client.webhooks import (
    InvalidDelivery,
    InvalidSignature,
    WebhookError,
    verify_delivery,
    verify_signature,
)

__all__ = [
    "BlockedAction",
    "ConflictError",
    "CursorStore",
    "ETagUnknown",
    "FieldError",
    "FileCursor",
    "ForbiddenError",
    "GoneError",
    "HandoverClient",
    "HandoverClientError",
    "IdempotencyKeyReusedError",
    "IfMatch",
    "InvalidDelivery",
    "InvalidRequestError",
    "InvalidSignature",
    "MemoryCursor",
    "NotFoundError",
    "PreconditionFailedError",
    "Problem",
    "ProblemError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "TokenSource",
    "TooLargeError",
    "TransportError",
    "UnauthorizedError",
    "UnavailableError",
    "UnprocessableError",
    "UnsupportedMediaTypeError",
    "WebhookError",
    "verify_delivery",
    "verify_signature",
]
