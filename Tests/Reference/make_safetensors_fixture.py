"""Writes Tests/ConvEngineTests/Fixtures/safetensors/reference.safetensors with the reference
safetensors writer, for SafeTensorsTests to read and to reproduce byte for byte.

Run from the repository root with the PyTorch venv (outside the repo):
    /root/torchenv/bin/python Tests/Reference/make_safetensors_fixture.py

Every tensor's values follow a formula SafeTensorsTests recomputes, so the test checks values,
not a copy of this file. One metadata key only: the reference writer orders keys by hash.
"""
from pathlib import Path

import torch
from safetensors.torch import save_file

out = Path(__file__).resolve().parent.parent / "ConvEngineTests/Fixtures/safetensors/reference.safetensors"
out.parent.mkdir(parents=True, exist_ok=True)
tensors = {
    # F32 element i of a flattened tensor holds i * 0.25 - 1.
    "conv1.weight": torch.arange(2 * 1 * 3 * 3, dtype=torch.float32).reshape(2, 1, 3, 3) * 0.25 - 1,
    "conv1.bias": torch.arange(2, dtype=torch.float32) * 0.25 - 1,
    "bn1.num_batches_tracked": torch.tensor(1234567890123, dtype=torch.int64),
    "empty": torch.zeros(0, 4, dtype=torch.float32),
    # F16 element i holds i + 0.5; U8 element i holds 250 + i.
    "half": torch.arange(3, dtype=torch.float16) + 0.5,
    "bytes": torch.arange(250, 255, dtype=torch.uint8),
}
save_file(tensors, str(out), metadata={"note": "caf\u00e9 \"quoted\"\n\\"})
print(f"wrote {out} ({out.stat().st_size} bytes)")
