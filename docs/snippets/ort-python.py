# onnxruntime for Python: python3 ort-python.py model.onnx digit.raw
import sys

import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
pixels = np.fromfile(sys.argv[2], dtype=np.uint8)  # one 28×28 MNIST image, 784 bytes 0–255, row by row
x = (pixels.astype(np.float32) / 255).reshape(1, 1, 28, 28)  # NCHW, pixel / 255
(logits,) = session.run(["logits"], {"input": x})
print(int(logits.argmax()))
