# Contrail: the two commands a fresh machine needs are `make run` and `make test`.
# Both install what is missing first (scripts/deps.sh). CMake does the real build.
.PHONY: run test build deps web bench format clean cluster cluster-stop

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

# The cluster of issue 17 under var/cluster/ (no system services): PostgreSQL, Redis, the
# sandbox world, three instances, nginx on $(PORT) as the balancer, Prometheus (scripts/cluster.sh).
cluster: build web
	@CLUSTER_PORT=$(PORT) scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

bench: build web
	@scripts/bench.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build web/dist
