# R's mclust as a peer for the Gaussian mixture workloads (bench/tts.py starts it).
#
#   Rscript bench/mclust_peer.R WORKLOAD_DIR MODELNAME ITERATIONS REPEAT OUTPUT.json
#
# MODELNAME is "VVV" (full covariances) or "VVI" (diagonal). mclust::em(data, modelName,
# parameters) runs one E step at the given parameters, then `itmax` iterations of the
# Fortran M/E loop (me<model>); its loglik is the log-likelihood at the last M step's
# parameters, i.e. emzoo's trace[itmax] from the same start. tol = 0 lets the relative
# change test stop the loop only at an exact fixed point, so itmax iterations run
# (iterations_run in the output says how many did; emControl refuses a negative tol).
#
# Time per iteration = (t(em, N iterations) - t(em, 1 iteration)) / (N - 1), the minimum
# of REPEAT timings of each after one untimed warm-up, like bench/peers.py.

suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
wdir <- args[1]
model_name <- args[2]
n_iter <- as.integer(args[3])
repeats <- as.integer(args[4])
output <- args[5]

start <- fromJSON(file.path(wdir, "start.json"), simplifyVector = FALSE)
csv <- read.csv(file.path(wdir, "data.csv"))
x <- as.matrix(csv[, grepl("^x[0-9]+$", names(csv))])
storage.mode(x) <- "double"
d <- ncol(x)
k <- length(start$weights)

pro <- unlist(start$weights)
mu <- matrix(unlist(start$means), nrow = d, ncol = k)          # column j = mean of component j
sigma <- array(0, c(d, d, k))
for (j in seq_len(k)) {
  sigma[, , j] <- matrix(unlist(start$covariances[[j]]), d, d, byrow = TRUE)
}
variance <- list(modelName = model_name, d = d, G = k, sigma = sigma)
if (model_name == "VVV") {
  variance$cholsigma <- array(apply(sigma, 3, chol), c(d, d, k))
} else if (model_name == "VVI") {
  diagonals <- apply(sigma, 3, diag)                            # d x k
  scale <- apply(diagonals, 2, function(v) prod(v)^(1 / d))
  variance$scale <- scale
  variance$shape <- sweep(diagonals, 2, scale, "/")
} else {
  stop("model name must be VVV or VVI")
}
parameters <- list(pro = pro, mean = mu, variance = variance)

fit <- function(iterations) {
  em(x, modelName = model_name, parameters = parameters,
     control = emControl(tol = c(0, 0), itmax = c(iterations, iterations)), warn = FALSE)
}

loglik_start <- estep(x, modelName = model_name, parameters = parameters)$loglik
invisible(fit(1))
t1 <- Inf
tn <- Inf
result <- NULL
result1 <- NULL
for (r in seq_len(repeats)) {
  t <- proc.time()[["elapsed"]]
  result1 <- fit(1)
  t1 <- min(t1, proc.time()[["elapsed"]] - t)
  t <- proc.time()[["elapsed"]]
  result <- fit(n_iter)
  tn <- min(tn, proc.time()[["elapsed"]] - t)
}

write_json(list(
  peer = paste0("mclust::em(", model_name, ")"),
  mclust_version = as.character(packageVersion("mclust")),
  iterations = n_iter,
  iterations_run = abs(attr(result, "info")[["iterations"]]),
  repeat_count = repeats,
  seconds_fit_1_iteration = t1,
  seconds_fit = tn,
  seconds_per_iteration = (tn - t1) / (n_iter - 1),
  loglik_start = loglik_start,
  loglik_1 = result1$loglik,
  loglik_n = result$loglik
), output, auto_unbox = TRUE, digits = NA)
