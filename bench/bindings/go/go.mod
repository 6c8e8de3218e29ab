module genmodels.local/bench

go 1.19

require genmodels.local/genmodels v0.0.0

replace genmodels.local/genmodels => ../../../bindings/go
