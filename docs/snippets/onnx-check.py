# The ONNX project's own checker, and what the lab wrote into the file: python3 onnx-check.py model.onnx
import sys

import onnx

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
print("opset", model.opset_import[0].version, "| input", [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim])
for prop in model.metadata_props:
    print(prop.key, "=", prop.value)
