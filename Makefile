# Contrail: the two commands a fresh machine needs are `make run` and `make test`.
# Both install what is missing first (scripts/deps.sh). CMake does the real build.
.PHONY: run test build deps web bench format clean

JOBS ?= 2
PORT ?= 8080

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build/release -j$(JOBS)

web: deps
	@cd web && npm run build --silent

run: build web
	@exec build/release/contrail serve --port $(PORT) --sandbox true --webhook-allow-loopback true

test:
	@JOBS=$(JOBS) scripts/test.sh

bench: build web
	@scripts/bench.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build web/dist
