"""A user's Python script: fit bernoulli on an .npy file and print the mean training NLL."""
import sys

import numpy as np

import genmodels

X = np.load(sys.argv[1])
model = genmodels.Model("bernoulli").fit(X)
print(f"python: nll {-model.log_prob(X).mean():.6f}")
