module genmodels.local/genmodels

go 1.19
