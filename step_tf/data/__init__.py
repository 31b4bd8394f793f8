"""Gait data: the GaitSet representation, readers (E-Gait HDF5, BVH), preprocessing, the embedded set, tf.data."""
