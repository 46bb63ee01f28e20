-- A minimal ASTPP 6.0.1-compatible schema for acctctl's tests, written for this project from
-- the schema facts in ../shared/reference/astpp-interop.md and astpp-accounts.md (table and
-- column names, types, defaults, seed values). Not ASTPP's dump: only the tables acctctl
-- writes and reads, utf8 (utf8mb3) like ASTPP's, with the same NOT NULL columns without a
-- default that ASTPP's own code leaves to non-strict MySQL.

CREATE TABLE `system` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(48) NOT NULL DEFAULT '',
  `display_name` varchar(255) NOT NULL DEFAULT '',
  `value` varchar(255) NOT NULL DEFAULT '',
  `field_type` varchar(250) NOT NULL DEFAULT '',
  `comment` varchar(255) NOT NULL DEFAULT '',
  `timestamp` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `reseller_id` int NOT NULL DEFAULT '0',
  `is_display` tinyint NOT NULL DEFAULT '0',
  `group_title` varchar(15) NOT NULL DEFAULT '',
  `sub_group` varchar(200) NOT NULL DEFAULT '',
  `field_rules` varchar(250) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `accounts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `number` varchar(20) NOT NULL,
  `reseller_id` int DEFAULT NULL,
  `pricelist_id` int NOT NULL,
  `paypal_permission` tinyint(1) NOT NULL DEFAULT '0',
  `reference` varchar(100) NOT NULL,
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `sweep_id` tinyint(1) NOT NULL DEFAULT '0',
  `creation` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `credit_limit` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `posttoexternal` tinyint(1) NOT NULL DEFAULT '0',
  `balance` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `password` varchar(100) NOT NULL DEFAULT '',
  `first_name` varchar(40) NOT NULL DEFAULT '',
  `last_name` varchar(40) NOT NULL DEFAULT '',
  `company_name` varchar(40) NOT NULL DEFAULT '',
  `address_1` varchar(80) NOT NULL DEFAULT '',
  `address_2` varchar(80) NOT NULL DEFAULT '',
  `postal_code` varchar(12) NOT NULL DEFAULT '',
  `province` varchar(20) NOT NULL DEFAULT '',
  `city` varchar(20) NOT NULL DEFAULT '',
  `country_id` int NOT NULL DEFAULT '0',
  `telephone_1` varchar(20) NOT NULL DEFAULT '',
  `telephone_2` varchar(20) NOT NULL DEFAULT '',
  `email` varchar(80) NOT NULL DEFAULT '',
  `notification_email` varchar(80) NOT NULL DEFAULT '',
  `language_id` int NOT NULL DEFAULT '0',
  `currency_id` int NOT NULL DEFAULT '0',
  `maxchannels` int NOT NULL DEFAULT '1',
  `cps` int NOT NULL DEFAULT '0',
  `dialed_modify` mediumtext NOT NULL,
  `type` tinyint(1) DEFAULT '0',
  `timezone_id` int NOT NULL DEFAULT '0',
  `inuse` int NOT NULL DEFAULT '0',
  `deleted` tinyint(1) NOT NULL DEFAULT '0',
  `notify_credit_limit` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `notify_flag` tinyint(1) NOT NULL,
  `notify_email` varchar(80) NOT NULL,
  `commission_rate` int NOT NULL DEFAULT '0',
  `invoice_day` int NOT NULL DEFAULT '0',
  `invoice_interval` int NOT NULL,
  `invoice_note` text NOT NULL,
  `last_bill_date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `pin` varchar(20) NOT NULL,
  `first_used` datetime NOT NULL,
  `expiry` datetime NOT NULL,
  `validfordays` int NOT NULL DEFAULT '3652',
  `local_call_cost` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `pass_link_status` tinyint(1) NOT NULL DEFAULT '0',
  `local_call` tinyint(1) NOT NULL DEFAULT '1',
  `charge_per_min` varchar(100) NOT NULL,
  `is_recording` tinyint(1) NOT NULL DEFAULT '1',
  `allow_ip_management` tinyint(1) NOT NULL DEFAULT '1',
  `permission_id` int NOT NULL DEFAULT '0',
  `deleted_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `localization_id` int DEFAULT '0',
  `notifications` tinyint NOT NULL DEFAULT '0',
  `is_distributor` tinyint NOT NULL DEFAULT '1',
  `generate_invoice` tinyint NOT NULL DEFAULT '0',
  `std_cid_translation` varchar(100) NOT NULL,
  `did_cid_translation` varchar(100) NOT NULL,
  `tax_number` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `number` (`number`),
  KEY `pricelist` (`pricelist_id`),
  KEY `reseller` (`reseller_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `sip_devices` (
  `id` int NOT NULL AUTO_INCREMENT,
  `username` varchar(40) NOT NULL DEFAULT '',
  `sip_profile_id` int NOT NULL DEFAULT '0',
  `reseller_id` int NOT NULL DEFAULT '0',
  `accountid` int NOT NULL DEFAULT '0',
  `dir_params` longtext NOT NULL,
  `dir_vars` longtext NOT NULL,
  `codec` varchar(100) NOT NULL,
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `creation_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `last_modified_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `call_waiting` int NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`),
  UNIQUE KEY `username` (`username`),
  KEY `accountid` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `sip_profiles` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(40) NOT NULL DEFAULT '',
  `sip_ip` varchar(40) NOT NULL DEFAULT '',
  `sip_port` varchar(5) NOT NULL DEFAULT '',
  `profile_data` text NOT NULL,
  `status` tinyint(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `taxes` (
  `id` int NOT NULL AUTO_INCREMENT,
  `taxes_priority` int NOT NULL DEFAULT '1',
  `taxes_amount` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `tax_type` tinyint(1) NOT NULL DEFAULT '0',
  `taxes_rate` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `taxes_description` varchar(255) NOT NULL DEFAULT '',
  `reseller_id` int NOT NULL DEFAULT '0',
  `last_modified_date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `creation_date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `status` tinyint(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`),
  KEY `taxes_priority` (`taxes_priority`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `taxes_to_accounts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `accountid` int NOT NULL DEFAULT '0',
  `taxes_id` int NOT NULL DEFAULT '0',
  `taxes_priority` tinyint NOT NULL DEFAULT '0',
  `assign_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  PRIMARY KEY (`id`),
  KEY `accountid` (`accountid`),
  KEY `taxes_id` (`taxes_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `invoice_conf` (
  `id` int NOT NULL AUTO_INCREMENT,
  `accountid` int NOT NULL DEFAULT '0',
  `company_name` varchar(100) NOT NULL DEFAULT '',
  `address` varchar(300) NOT NULL DEFAULT '',
  `city` varchar(20) NOT NULL DEFAULT '',
  `province` varchar(20) NOT NULL DEFAULT '',
  `country` varchar(20) NOT NULL DEFAULT '',
  `zipcode` varchar(10) NOT NULL DEFAULT '',
  `telephone` varchar(20) NOT NULL DEFAULT '',
  `fax` varchar(20) NOT NULL,
  `emailaddress` varchar(100) NOT NULL DEFAULT '',
  `website` varchar(100) NOT NULL,
  `invoice_prefix` varchar(10) NOT NULL DEFAULT 'INV_',
  `invoice_start_from` int NOT NULL DEFAULT '1',
  `logo` varchar(100) NOT NULL,
  `favicon` varchar(100) NOT NULL,
  `invoice_note` text NOT NULL,
  `interval` varchar(10) NOT NULL,
  `notify_before_day` int NOT NULL DEFAULT '1',
  `invoice_taxes_number` varchar(100) NOT NULL DEFAULT 'ABN 12 345 678 901',
  `reseller_id` int NOT NULL DEFAULT '0',
  `domain` varchar(100) NOT NULL,
  `website_title` varchar(100) NOT NULL,
  `website_footer` varchar(100) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `countrycode` (
  `id` int NOT NULL AUTO_INCREMENT,
  `currency_id` int NOT NULL DEFAULT '0',
  `iso` char(2) NOT NULL,
  `country` varchar(80) NOT NULL DEFAULT '',
  `nicename` varchar(80) NOT NULL DEFAULT '',
  `iso3` char(3) DEFAULT NULL,
  `countrycode` int NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`),
  UNIQUE KEY `iso` (`iso`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `currency` (
  `id` int NOT NULL AUTO_INCREMENT,
  `currency` char(3) NOT NULL DEFAULT '',
  `currencyname` varchar(40) NOT NULL DEFAULT '',
  `currencyrate` decimal(10,3) NOT NULL DEFAULT '0.000',
  `last_updated` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `is_supported` tinyint NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `timezone` (
  `id` int NOT NULL AUTO_INCREMENT,
  `gmttime` varchar(20) NOT NULL DEFAULT '',
  `gmtoffset` int NOT NULL DEFAULT '0',
  `timezone_name` varchar(100) NOT NULL DEFAULT '',
  `timezone_digit` varchar(10) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- ASTPP 6.0's pricelists: there initially_increment and routing_prefix have no default
-- (acctctl writes both); the tests' own inserts rely on these
CREATE TABLE `pricelists` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(30) NOT NULL DEFAULT '',
  `markup` varchar(50) NOT NULL DEFAULT '0',
  `routing_type` tinyint NOT NULL DEFAULT '0',
  `initially_increment` int NOT NULL DEFAULT '0',
  `inc` int NOT NULL DEFAULT '0',
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `reseller_id` int NOT NULL DEFAULT '0',
  `pricelist_id_admin` int NOT NULL DEFAULT '0',
  `routing_prefix` varchar(100) NOT NULL DEFAULT '',
  `call_count` int NOT NULL DEFAULT '0',
  `creation_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `last_modified_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  PRIMARY KEY (`id`),
  KEY `name` (`name`),
  KEY `reseller_id` (`reseller_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `permissions` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(50) NOT NULL DEFAULT '',
  `reseller_id` int NOT NULL DEFAULT '0',
  `description` varchar(255) NOT NULL DEFAULT '',
  `login_type` tinyint NOT NULL DEFAULT '0',
  `permissions` longtext NOT NULL,
  `edit_permissions` longtext NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `sweeplist` (
  `id` int NOT NULL,
  `sweep` varchar(15) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- seed: the settings ASTPP 6.0 ships (the keys acctctl reads), as astpp-accounts.md §0 lists
INSERT INTO `system` (`name`, `value`) VALUES
 ('card_length', '10'), ('pin_length', '6'), ('starting_digit', '0'), ('generate_pin', '0'),
 ('password_type', '0'), ('account_number_editable', '1'), ('create_sipdevice', '0'),
 ('balance', '0'), ('maxchannels', '0'), ('cps', '0'), ('validfordays', '3650'),
 ('notifications', '0'), ('paypal_permission', '0'), ('generate_invoice', '0'),
 ('tax_type', '0,1'), ('charge_per_min', '0'), ('is_recording', '1'),
 ('allow_ip_management', '1'), ('local_call', '0'), ('notify_flag', '0'),
 ('notify_credit_limit', '5'), ('localization_id', ''), ('default_signup_rategroup', ''),
 ('base_currency', 'USD'), ('country', '88'), ('default_timezone', '49'),
 ('decimal_points', '4'), ('version', '6.0');

INSERT INTO `sweeplist` VALUES (0, 'Daily'), (2, 'Monthly');
INSERT INTO `sip_profiles` (`id`, `name`, `sip_ip`, `sip_port`, `profile_data`) VALUES
 (1, 'default', '$${local_ip_v4}', '5060', '{}');
INSERT INTO `pricelists` (`id`, `name`, `status`, `reseller_id`) VALUES (1, 'default', 0, 0);
INSERT INTO `permissions` (`id`, `name`, `reseller_id`, `description`, `login_type`,
 `permissions`, `edit_permissions`) VALUES
 (2, 'reseller', 0, 'Reseller permissions', 1, '{}', '{}'),
 (3, 'Admin_permission', 0, 'Admin permissions', 0, '{}', '{}');
INSERT INTO `countrycode` (`id`, `iso`, `country`, `nicename`, `iso3`, `countrycode`) VALUES
 (85, 'HU', 'HUNGARY', 'Hungary', 'HUN', 36), (88, 'IN', 'INDIA', 'India', 'IND', 91),
 (226, 'US', 'UNITED STATES', 'United States', 'USA', 1),
 (73, 'FR', 'FRANCE', 'France', 'FRA', 33), (80, 'DE', 'GERMANY', 'Germany', 'DEU', 49);
-- GBP twice, as in ASTPP's data: the first row is the one ASTPP (and acctctl) uses
INSERT INTO `currency` (`id`, `currency`, `currencyname`, `currencyrate`) VALUES
 (17, 'GBP', 'Pound Sterling', 0.800), (48, 'EUR', 'Euro', 0.900),
 (139, 'USD', 'US Dollar', 1.000), (188, 'GBP', 'Pound Sterling (duplicate)', 0.800);
INSERT INTO `timezone` (`id`, `gmttime`, `gmtoffset`, `timezone_name`) VALUES
 (27, 'GMT+00:00', 0, 'Europe/London'), (49, 'GMT+01:00', 3600, 'Europe/Sarajevo'),
 (50, 'GMT+01:00', 3600, 'Europe/Paris'), (12, 'GMT-05:00', -18000, 'America/New_York'),
 (70, 'GMT+05:30', 19800, 'Asia/Kolkata');
-- the super admin, its password encoded with ASTPP's public default key ('admin')
INSERT INTO `accounts` (`id`, `number`, `reseller_id`, `pricelist_id`, `reference`, `status`,
 `sweep_id`, `creation`, `password`, `first_name`, `last_name`, `country_id`, `email`,
 `currency_id`, `dialed_modify`, `type`, `timezone_id`, `notify_flag`, `notify_email`,
 `invoice_interval`, `invoice_note`, `pin`, `first_used`, `expiry`, `charge_per_min`,
 `std_cid_translation`, `did_cid_translation`) VALUES
 (1, 'admin', 0, 0, '', 0, 2, '2016-07-25 00:00:01', '8xbJv9wZmjA', 'Administrator', 'Admin',
  85, 'your@email.com', 139, '', -1, 27, 0, '', 0, '', '', '0000-00-00 00:00:00',
  '2046-07-25 11:26:24', '1', '', '');

-- ---------------------------------------------------------------------------------------
-- Day two (issue 17): the tables ASTPP's own delete action touches with an account, and the
-- billing history that makes acctctl refuse a purge. Names, column types and defaults as in
-- ASTPP 6.0's schema (database/astpp-6.0.sql); only the columns acctctl reads or writes,
-- the ones the tests fill in, and their NOT NULL neighbours without a default. What ASTPP's
-- delete does with each is in docs/astpp.md ("What each day-two command changes in ASTPP").

-- removed with a customer or provider (common::customer_delete_dependencies)
CREATE TABLE `ani_map` (
  `id` int NOT NULL AUTO_INCREMENT,
  `number` varchar(20) NOT NULL DEFAULT '',
  `accountid` int NOT NULL DEFAULT '0',
  `reseller_id` int NOT NULL DEFAULT '0',
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `context` varchar(20) NOT NULL DEFAULT '',
  `creation_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `last_modified_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  PRIMARY KEY (`id`),
  UNIQUE KEY `number` (`number`),
  KEY `account` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `block_patterns` (
  `id` int NOT NULL AUTO_INCREMENT,
  `accountid` int NOT NULL DEFAULT '0',
  `blocked_patterns` varchar(15) NOT NULL DEFAULT '',
  `destination` varchar(100) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `accountid` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `counters` (
  `id` int NOT NULL AUTO_INCREMENT,
  `product_id` int NOT NULL DEFAULT '0',
  `package_id` int NOT NULL DEFAULT '0',
  `accountid` int NOT NULL DEFAULT '0',
  `used_seconds` int NOT NULL DEFAULT '0',
  `status` tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (`id`),
  KEY `accountid` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `ip_map` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(20) NOT NULL DEFAULT '',
  `ip` varchar(30) NOT NULL DEFAULT '',
  `accountid` int NOT NULL DEFAULT '0',
  `reseller_id` int NOT NULL DEFAULT '0',
  `pricelist_id` int NOT NULL DEFAULT '0',
  `prefix` varchar(20) NOT NULL DEFAULT '',
  `context` varchar(20) NOT NULL DEFAULT 'default',
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `created_date` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `last_modified_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  PRIMARY KEY (`id`),
  KEY `account` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `speed_dial` (
  `id` int NOT NULL AUTO_INCREMENT,
  `speed_num` varchar(20) DEFAULT NULL,
  `number` varchar(15) NOT NULL,
  `accountid` int NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `mail_details` (
  `id` int NOT NULL AUTO_INCREMENT,
  `accountid` int NOT NULL,
  `date` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `subject` varchar(100) NOT NULL,
  `body` mediumtext NOT NULL,
  `from` varchar(100) NOT NULL,
  `to` varchar(100) NOT NULL,
  `attachment` varchar(100) NOT NULL,
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `template` varchar(100) NOT NULL,
  `reseller_id` int NOT NULL DEFAULT '0',
  `to_number` varchar(20) NOT NULL,
  `sms_body` varchar(500) NOT NULL,
  `sip_user_name` varchar(255) NOT NULL,
  `push_message_body` varchar(555) NOT NULL,
  `callkit_token` varchar(512) NOT NULL,
  `status_code` int NOT NULL,
  `cc` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- released (not removed) with a customer; moved to the parent with a reseller
CREATE TABLE `dids` (
  `id` int NOT NULL AUTO_INCREMENT,
  `number` varchar(40) NOT NULL DEFAULT '',
  `accountid` int NOT NULL DEFAULT '0',
  `parent_id` int NOT NULL DEFAULT '0',
  `inc` int NOT NULL,
  `extensions` varchar(180) NOT NULL DEFAULT '',
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `call_type` tinyint(1) NOT NULL DEFAULT '0',
  `product_id` int NOT NULL,
  `always` int NOT NULL,
  `always_destination` varchar(50) NOT NULL,
  `user_busy` int NOT NULL,
  `user_busy_destination` varchar(50) NOT NULL,
  `user_not_registered` int NOT NULL,
  `user_not_registered_destination` varchar(50) NOT NULL,
  `no_answer` int NOT NULL,
  `no_answer_destination` varchar(50) NOT NULL,
  `failover_extensions` varchar(180) NOT NULL,
  `failover_call_type` tinyint(1) NOT NULL DEFAULT '1',
  `always_vm_flag` tinyint(1) NOT NULL DEFAULT '1',
  `user_busy_vm_flag` tinyint(1) NOT NULL DEFAULT '1',
  `user_not_registered_vm_flag` tinyint(1) NOT NULL DEFAULT '1',
  `no_answer_vm_flag` tinyint(1) NOT NULL DEFAULT '1',
  `call_type_vm_flag` tinyint(1) NOT NULL DEFAULT '1',
  `description` varchar(500) NOT NULL,
  `order_id` int NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `number` (`number`),
  KEY `account` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- a provider's trunks are switched off (status 1) when it is deleted
CREATE TABLE `trunks` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(30) NOT NULL DEFAULT '',
  `tech` varchar(10) NOT NULL DEFAULT '',
  `gateway_id` int NOT NULL DEFAULT '0',
  `provider_id` int DEFAULT '0',
  `status` tinyint(1) NOT NULL DEFAULT '1',
  `dialed_modify` mediumtext NOT NULL,
  `resellers_id` varchar(11) NOT NULL DEFAULT '0',
  `codec` varchar(100) NOT NULL,
  `creation_date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `last_modified_date` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `cid_translation` varchar(100) NOT NULL,
  `localization_id` int NOT NULL,
  PRIMARY KEY (`id`),
  KEY `provider` (`provider_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- removed with a reseller (common::reseller_delete_dependencies), besides its invoice_conf
-- row, its mail_details rows, its taxes and their links
CREATE TABLE `refill_coupon` (
  `id` int NOT NULL AUTO_INCREMENT,
  `number` varchar(30) NOT NULL,
  `amount` decimal(20,5) NOT NULL,
  `description` varchar(55) NOT NULL,
  `status` tinyint(1) NOT NULL,
  `account_id` int NOT NULL,
  `reseller_id` int NOT NULL,
  `currency_id` int NOT NULL,
  `creation_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;

CREATE TABLE `default_templates` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(45) NOT NULL DEFAULT '',
  `subject` varchar(500) NOT NULL,
  `description` varchar(512) NOT NULL,
  `sms_template` varchar(500) NOT NULL,
  `alert_template` varchar(500) NOT NULL,
  `template` mediumtext NOT NULL,
  `last_modified_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `reseller_id` int NOT NULL DEFAULT '0',
  `is_email_enable` tinyint(1) NOT NULL DEFAULT '0',
  `is_sms_enable` tinyint(1) NOT NULL,
  `is_alert_enable` tinyint(1) NOT NULL,
  `status` tinyint(1) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- the rates of a reseller's rate groups (pricelists; status 2 = deleted)
CREATE TABLE `routes` (
  `id` int NOT NULL AUTO_INCREMENT,
  `pattern` varchar(40) DEFAULT '',
  `comment` varchar(80) DEFAULT '',
  `includedseconds` int NOT NULL,
  `cost` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `pricelist_id` int DEFAULT '0',
  `call_type` varchar(20) NOT NULL,
  `routing_type` varchar(50) NOT NULL,
  `percentage` varchar(50) NOT NULL,
  `call_count` int NOT NULL,
  `reseller_id` int DEFAULT '0',
  `effective_date` datetime NOT NULL,
  PRIMARY KEY (`id`),
  KEY `pricelist` (`pricelist_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `routing` (
  `id` int NOT NULL AUTO_INCREMENT,
  `pricelist_id` int NOT NULL,
  `trunk_id` int NOT NULL,
  `routes_id` int NOT NULL DEFAULT '0',
  `percentage` varchar(20) NOT NULL,
  `call_count` int NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- billing history: calls, invoices (and their lines), payments
CREATE TABLE `cdrs` (
  `uniqueid` varchar(60) NOT NULL DEFAULT '',
  `accountid` int DEFAULT '0',
  `type` tinyint(1) NOT NULL DEFAULT '0',
  `callerid` varchar(120) NOT NULL,
  `callednum` varchar(30) NOT NULL DEFAULT '',
  `translated_dst` varchar(30) NOT NULL,
  `billseconds` smallint NOT NULL DEFAULT '0',
  `callstart` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `debit` decimal(20,6) NOT NULL DEFAULT '0.000000',
  `cost` decimal(20,6) NOT NULL DEFAULT '0.000000',
  `provider_id` int NOT NULL DEFAULT '0',
  `pattern` varchar(20) NOT NULL,
  `notes` varchar(80) NOT NULL,
  `reseller_id` int NOT NULL DEFAULT '0',
  `reseller_code` varchar(20) NOT NULL,
  `provider_code` varchar(20) NOT NULL,
  `provider_code_destination` varchar(80) NOT NULL,
  `provider_call_cost` decimal(20,6) NOT NULL,
  `call_direction` enum('outbound','inbound') NOT NULL,
  KEY `cdr_index` (`callstart`,`reseller_id`,`type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `reseller_cdrs` (
  `uniqueid` varchar(60) NOT NULL DEFAULT '',
  `accountid` int DEFAULT '0',
  `callednum` varchar(30) NOT NULL DEFAULT '',
  `translated_dst` varchar(30) NOT NULL,
  `callstart` datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  `debit` decimal(20,6) NOT NULL DEFAULT '0.000000',
  `pattern` varchar(20) NOT NULL,
  `notes` varchar(80) NOT NULL,
  `reseller_id` int NOT NULL DEFAULT '0',
  `call_direction` enum('outbound','inbound') NOT NULL,
  `country_id` int NOT NULL,
  `trunk_id` int NOT NULL,
  KEY `rs_cdr_index` (`callstart`,`reseller_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `invoices` (
  `id` int NOT NULL AUTO_INCREMENT,
  `prefix` varchar(25) NOT NULL,
  `number` varchar(200) NOT NULL,
  `accountid` int NOT NULL DEFAULT '0',
  `reseller_id` int NOT NULL DEFAULT '0',
  `due_date` datetime NOT NULL,
  `status` tinyint(1) NOT NULL DEFAULT '0',
  `generate_date` datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  `type` enum('I','R') NOT NULL DEFAULT 'I',
  `notes` longtext NOT NULL,
  `is_deleted` tinyint(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`),
  KEY `accountid` (`accountid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `invoice_details` (
  `id` int NOT NULL AUTO_INCREMENT,
  `accountid` int NOT NULL,
  `reseller_id` int NOT NULL DEFAULT '0',
  `invoiceid` int NOT NULL DEFAULT '0',
  `charge_type` varchar(30) NOT NULL,
  `base_currency` varchar(5) NOT NULL,
  `account_currency` varchar(5) NOT NULL,
  `description` varchar(255) DEFAULT NULL,
  `debit` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `credit` decimal(20,5) NOT NULL DEFAULT '0.00000',
  `created_date` datetime NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `payment_transaction` (
  `id` int NOT NULL AUTO_INCREMENT,
  `accountid` int NOT NULL,
  `amount` decimal(20,5) NOT NULL,
  `tax` varchar(10) NOT NULL,
  `payment_method` varchar(20) NOT NULL,
  `actual_amount` decimal(20,5) NOT NULL,
  `reseller_id` int NOT NULL DEFAULT '0',
  `transaction_id` varchar(50) NOT NULL,
  `customer_ip` varchar(100) NOT NULL,
  `user_currency` varchar(50) NOT NULL,
  `currency_rate` decimal(10,5) NOT NULL,
  `transaction_details` mediumtext NOT NULL,
  `date` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `notes` text NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
