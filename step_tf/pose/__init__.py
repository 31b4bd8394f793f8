"""Video to 3D pose to gait: BlazePose on LiteRT (``blazepose``), gaits from poses (``gait``), the emotion of a video or stream (``emotion``)."""
