"""The contract: JSON Schemas, the operation table and the OpenAPI document assembled from them.

Nothing here touches the network; everything else in the package reads from here.
"""
