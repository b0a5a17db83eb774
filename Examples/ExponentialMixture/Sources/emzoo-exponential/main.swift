import EMZoo
import EMZooCommandLine

// Every emzoo command, with the exponential family registered beside the standard kinds.
EMZooCommandLine.main(registry: ModelRegistry.standard.registering(exponentialFamilyKind))
