-- wso2patch db sql for the cluster in wso2patch.toml, home fixtures/carbon-home, server MySQL 8.0+
-- Re-runnable: databases and the user are created only if missing. Load each schema only into
-- an empty database ('wso2patch db init' checks that, and resumes a half-done load).

-- databases
CREATE DATABASE IF NOT EXISTS `WSO2_USER_DB` CHARACTER SET latin1;  -- user
CREATE DATABASE IF NOT EXISTS `REGISTRY_DB` CHARACTER SET latin1;  -- registry
CREATE DATABASE IF NOT EXISTS `REGISTRY_LOCAL1` CHARACTER SET latin1;  -- local
CREATE DATABASE IF NOT EXISTS `REGISTRY_LOCAL2` CHARACTER SET latin1;  -- local

-- the application user every datasource connects as, with rights on these databases only
CREATE USER IF NOT EXISTS 'regadmin'@'%' IDENTIFIED WITH mysql_native_password BY '********';
GRANT ALL PRIVILEGES ON `WSO2_USER_DB`.* TO 'regadmin'@'%';
GRANT ALL PRIVILEGES ON `REGISTRY_DB`.* TO 'regadmin'@'%';
GRANT ALL PRIVILEGES ON `REGISTRY_LOCAL1`.* TO 'regadmin'@'%';
GRANT ALL PRIVILEGES ON `REGISTRY_LOCAL2`.* TO 'regadmin'@'%';

-- schemas (mysql client SOURCE commands; paths in this home)
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';  -- the stock scripts predate MySQL 5.7's strict defaults
USE `WSO2_USER_DB`;
SOURCE fixtures/carbon-home/dbscripts/mysql5.7.sql;
USE `REGISTRY_DB`;
SOURCE fixtures/carbon-home/dbscripts/mysql5.7.sql;
USE `REGISTRY_LOCAL1`;
SOURCE fixtures/carbon-home/dbscripts/mysql5.7.sql;
USE `REGISTRY_LOCAL2`;
SOURCE fixtures/carbon-home/dbscripts/mysql5.7.sql;

-- the password is masked as ********: rerun with --show-secrets to print it
