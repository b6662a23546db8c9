"""The training pipeline for digitcam's CNN (installed as ``digitcam.train``)."""
