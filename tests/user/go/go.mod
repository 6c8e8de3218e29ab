module example.com/myapp

go 1.19

require genmodels.local/genmodels v0.0.0

replace genmodels.local/genmodels => /path/to/genmodels/bindings/go
