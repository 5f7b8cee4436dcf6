"""wso2patch: cluster a WSO2 Carbon 4.4.x product from one spec, byte-carefully."""

__version__ = "0.1.0"
