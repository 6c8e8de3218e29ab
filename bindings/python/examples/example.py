"""Fit a Markov model on bars and stripes, score two images, draw a few and round-trip it."""
import numpy as np

import genmodels

bars = genmodels.Dataset("builtin:bars-and-stripes:3")
model = genmodels.Model("markov", order=2)
model.fit(bars.images, progress=lambda step, total, loss: print(f"fit {step}/{total} loss {loss:.4f}"))

images = np.array([[1, 1, 1, 0, 0, 0, 1, 1, 1],    # stripes: likely
                   [1, 0, 0, 0, 1, 0, 0, 0, 1]],   # a diagonal: unlikely
                  dtype=np.float32)
print("log p =", np.round(model.log_prob(images), 3), "nats")
print("samples:\n", model.sample(2, seed=1).reshape(2, 3, 3))

copy = genmodels.Model.from_bytes(model.to_bytes())
print("round trip identical:", np.array_equal(copy.log_prob(images), model.log_prob(images)))
try:
    model.encode(images)
except genmodels.UnsupportedError as e:
    print("encode:", e.status_name)
