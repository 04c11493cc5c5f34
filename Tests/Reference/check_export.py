"""Checks convtop's ONNX and PyTorch exports against convtop's own logits.

    mkdir -p /tmp/export-check
    CONVTOP_EXPORT_CHECK=/tmp/export-check swift test -c release --filter writesExportsForTheReferenceCheck
    /root/torchenv/bin/python Tests/Reference/check_export.py /tmp/export-check

The test writes, per network (lenet, resnet9 and Examples/vgg-dropout.net, each after three SGD
steps): <name>.onnx, <name>/model.py with <name>/model.safetensors, and <name>-io.safetensors
holding a batch of images in [0, 1] and the logits convtop computed for them in evaluation mode.
For each, this script runs onnx.checker on the ONNX file, runs it in onnxruntime, loads model.py's
Net with load_state_dict(strict=True) and runs it in evaluation mode, and compares both with
convtop's logits (largest absolute difference at most 1e-4), and compares the PyTorch module's
parameter count with convtop's. `convtop export` writes the same files from a checkpoint.
Exit status 0 when every export agrees.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
from safetensors import safe_open
from safetensors.torch import load_file

TOLERANCE = 1e-4


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(io_file: Path) -> bool:
    name = io_file.name[: -len("-io.safetensors")]
    folder = io_file.parent
    reference = load_file(str(io_file))
    with safe_open(str(io_file), "pt") as f:
        convtop_parameters = int(f.metadata()["parameter_count"])
    images, expected = reference["input"], reference["logits"]

    model = onnx.load(str(folder / f"{name}.onnx"))
    onnx.checker.check_model(model, full_check=True)
    session = onnxruntime.InferenceSession(str(folder / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run(["logits"], {"input": images.numpy()})
    onnx_difference = float(np.abs(onnx_logits - expected.numpy()).max())
    classes = {p.key: p.value for p in model.metadata_props}["class_names"]

    module = load_module(folder / name / "model.py")
    net = module.Net()
    net.load_state_dict(load_file(str(folder / name / "model.safetensors")), strict=True)
    net.eval()
    with torch.no_grad():
        torch_logits = net(images)
    torch_difference = (torch_logits - expected).abs().max().item()
    torch_parameters = sum(p.numel() for p in net.parameters())

    ok = onnx_difference <= TOLERANCE and torch_difference <= TOLERANCE and torch_parameters == convtop_parameters
    print(f"{name}: onnx.checker OK (IR {model.ir_version}, opset {model.opset_import[0].version}, classes {classes[:40]}...); "
          f"logits {tuple(expected.shape)}, largest |logit| {expected.abs().max().item():.3g}; "
          f"onnxruntime max diff {onnx_difference:.3g}, torch max diff {torch_difference:.3g}; "
          f"parameters torch {torch_parameters} convtop {convtop_parameters}: {'OK' if ok else 'MISMATCH'}")
    return ok


folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
files = sorted(folder.glob("*-io.safetensors"))
if not files:
    sys.exit(f"{folder}: no <name>-io.safetensors files; see this script's docstring")
results = [check(f) for f in files]
sys.exit(0 if all(results) else 1)
