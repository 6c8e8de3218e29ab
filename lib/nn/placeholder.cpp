// placeholder: the layer kit is being written
