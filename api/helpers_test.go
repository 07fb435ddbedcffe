package api_test

import "github.com/herald-social/herald/internal/config"

type configT = config.Config
