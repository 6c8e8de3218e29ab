// Fit a Markov model on bars and stripes, score two images, draw a few and round-trip it.
package main

import (
	"errors"
	"fmt"
	"log"
	"reflect"

	"genmodels.local/genmodels"
)

func main() {
	if err := genmodels.CheckABI(); err != nil {
		log.Fatal(err)
	}
	bars, err := genmodels.LoadDataset("builtin:bars-and-stripes:3", nil)
	if err != nil {
		log.Fatal(err)
	}
	model, err := genmodels.New("markov", map[string]any{"order": 2})
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	err = model.Fit(bars, &genmodels.FitOptions{Progress: func(step, total int64, loss float64) bool {
		fmt.Printf("fit %d/%d loss %.4f\n", step, total, loss)
		return false // true would stop fit
	}})
	if err != nil {
		log.Fatal(err)
	}

	images := genmodels.Rows([]float32{
		1, 1, 1, 0, 0, 0, 1, 1, 1, // stripes: likely
		1, 0, 0, 0, 1, 0, 0, 0, 1, // a diagonal: unlikely
	}, 9)
	logP, err := model.LogProb(images, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("log p = %.3f, %.3f nats\n", logP[0], logP[1])
	x, err := model.Sample(2, &genmodels.SampleOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		fmt.Printf("sample: %v/%v/%v\n", x[i*9:i*9+3], x[i*9+3:i*9+6], x[i*9+6:i*9+9])
	}

	bytes, err := model.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	cp, err := genmodels.LoadBytes(bytes)
	if err != nil {
		log.Fatal(err)
	}
	defer cp.Close()
	logP2, _ := cp.LogProb(images, nil)
	fmt.Println("round trip identical:", reflect.DeepEqual(logP, logP2))

	if _, err := model.Encode(images, nil); errors.Is(err, genmodels.Unsupported) {
		fmt.Println("encode:", genmodels.Unsupported)
	}
}
