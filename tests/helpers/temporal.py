"""The payload keys every test's Temporal client and worker share."""

from __future__ import annotations

import base64

from config.codec import encrypted_converter

# A fixed, test-only key, so that histories saved by one run replay in the next.
TEST_KEYRING = "test-1:" + base64.b64encode(b"exit-case-service-test-key-32-by").decode()
TEST_CONVERTER = encrypted_converter(TEST_KEYRING)
