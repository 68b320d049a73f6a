"""Azurite, Microsoft's Azure Storage emulator, for the store's cloud tests.

scripts/install-azurite.sh installs it into .azurite/; a session fixture starts it on a free
127.0.0.1 port (in memory, no telemetry) and each test gets a fresh container.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

# Where scripts/install-azurite.sh puts it.
AZURITE_DIR = Path(
    os.environ.get("INSIGHT_AZURITE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "insight-azurite"
)
AZURITE = AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
# The emulator's published development key (not a secret).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Azurite:
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def env(self) -> dict[str, str]:
        """The standard variables delta-rs (object_store) reads for Azure."""
        return {
            "AZURE_STORAGE_ACCOUNT_NAME": ACCOUNT,
            "AZURE_STORAGE_ACCOUNT_KEY": KEY,
            "AZURE_STORAGE_ENDPOINT": self.endpoint,
            "AZURE_ALLOW_HTTP": "true",
        }

    def client(self) -> BlobServiceClient:
        return BlobServiceClient.from_connection_string(
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={self.endpoint};"
        )

    def new_container(self) -> str:
        name = f"store-{uuid.uuid4().hex[:12]}"
        self.client().create_container(name)
        return name

    def blobs(self, container: str) -> dict[str, bytes]:
        """Every stored byte in a container, by blob name."""
        box = self.client().get_container_client(container)
        return {b.name: box.download_blob(b.name).readall() for b in box.list_blobs()}


def start_azurite() -> Iterator[Azurite]:
    if not AZURITE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AZURITE} is missing; scripts/run-tests.sh installs it (bash scripts/install-azurite.sh)")
        pytest.skip("Azurite is not installed: bash scripts/install-azurite.sh")
    port = free_port()
    proc = subprocess.Popen(
        [str(AZURITE), "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent",
         "--blobHost", "127.0.0.1", "--blobPort", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    azurite = Azurite(port)
    deadline = time.monotonic() + 60
    while True:  # wait for the condition (it answers), not a fixed time
        try:
            azurite.client().get_service_properties()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"Azurite did not start: {proc.stderr.read().decode()[-500:]}") from None
            time.sleep(0.1)
    try:
        yield azurite
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
