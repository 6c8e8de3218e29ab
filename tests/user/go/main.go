// A user's Go program: fit bernoulli on an .npy file and print the mean training NLL.
package main

import (
	"fmt"
	"log"
	"os"

	"genmodels.local/genmodels"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: use_genmodels FILE.npy")
	}
	data, err := genmodels.LoadDataset("npy:"+os.Args[1], nil)
	if err != nil {
		log.Fatal(err)
	}
	model, err := genmodels.New("bernoulli", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	if err := model.Fit(data, nil); err != nil {
		log.Fatal(err)
	}
	lp, err := model.LogProb(data, nil)
	if err != nil {
		log.Fatal(err)
	}
	nll := 0.0
	for _, v := range lp {
		nll -= v / float64(len(lp))
	}
	fmt.Printf("go: nll %.6f\n", nll)
}
