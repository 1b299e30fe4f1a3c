//! Contracts imported from the ODCS document `all__full-example.odcs.yaml` by `contracts import odcs`.
//!
//! Register each struct with `Registry::with::<…>()`; `contracts export` writes
//! the document back.
//!
//! Left out, as a contract cannot express it (--drop-unsupported):
//! - description.limitations: `limitations` has no equivalent in a contract
//! - description.usage: `usage` has no equivalent in a contract
//! - description.authoritativeDefinitions: `authoritativeDefinitions` has no equivalent in a contract
//! - schema[0].customProperties[0].property: the custom property `business-key`
//! - schema[0].properties[0].customProperties[0].property: the custom property `anonymizationStrategy`
//! - schema[0].properties[0].id: `id` has no equivalent in a contract
//! - schema[0].properties[0].businessName: `businessName` has no equivalent in a contract
//! - schema[0].properties[0].criticalDataElement: `criticalDataElement` has no equivalent in a contract
//! - schema[0].properties[0].tags: `tags` has no equivalent in a contract
//! - schema[0].properties[0].transformSourceObjects: `transformSourceObjects` has no equivalent in a contract
//! - schema[0].properties[0].transformLogic: `transformLogic` has no equivalent in a contract
//! - schema[0].properties[0].transformDescription: `transformDescription` has no equivalent in a contract
//! - schema[0].properties[0].examples: `examples` has no equivalent in a contract
//! - schema[0].properties[1].relationships[0].customProperties[0].property: the custom property `description`
//! - schema[0].properties[1].id: `id` has no equivalent in a contract
//! - schema[0].properties[1].businessName: `businessName` has no equivalent in a contract
//! - schema[0].properties[1].criticalDataElement: `criticalDataElement` has no equivalent in a contract
//! - schema[0].properties[1].tags: `tags` has no equivalent in a contract
//! - schema[0].properties[2].quality[0].description: `description` has no equivalent in a contract
//! - schema[0].properties[2].quality[0].dimension: `dimension` has no equivalent in a contract
//! - schema[0].properties[2].quality[0].businessImpact: `businessImpact` has no equivalent in a contract
//! - schema[0].properties[2].quality[0].schedule: `schedule` has no equivalent in a contract
//! - schema[0].properties[2].quality[0].scheduler: `scheduler` has no equivalent in a contract
//! - schema[0].properties[2].quality[0].customProperties: `customProperties` has no equivalent in a contract
//! - schema[0].properties[2].quality[0]: nullValues other than on a required column, as an error (make the column `required`)
//! - schema[0].properties[2].id: `id` has no equivalent in a contract
//! - schema[0].properties[2].businessName: `businessName` has no equivalent in a contract
//! - schema[0].properties[2].criticalDataElement: `criticalDataElement` has no equivalent in a contract
//! - schema[0].properties[2].tags: `tags` has no equivalent in a contract
//! - schema[0].properties[2].authoritativeDefinitions: `authoritativeDefinitions` has no equivalent in a contract
//! - schema[0].properties[2].encryptedName: `encryptedName` has no equivalent in a contract
//! - schema[0].quality[0].mustBeGreaterThan: `mustBeGreaterThan`: an expectation's bounds are inclusive
//! - schema[0].quality[0].description: `description` has no equivalent in a contract
//! - schema[0].quality[0].dimension: `dimension` has no equivalent in a contract
//! - schema[0].quality[0].method: `method` has no equivalent in a contract
//! - schema[0].quality[0].businessImpact: `businessImpact` has no equivalent in a contract
//! - schema[0].quality[0].schedule: `schedule` has no equivalent in a contract
//! - schema[0].quality[0].scheduler: `scheduler` has no equivalent in a contract
//! - schema[0].relationships[0].customProperties[0].property: the custom property `description`
//! - schema[0].relationships[0].customProperties[1].property: the custom property `cardinality`
//! - schema[0].id: `id` has no equivalent in a contract
//! - schema[0].businessName: `businessName` has no equivalent in a contract
//! - schema[0].authoritativeDefinitions: `authoritativeDefinitions` has no equivalent in a contract
//! - schema[0].tags: `tags` has no equivalent in a contract
//! - schema[0].dataGranularityDescription: `dataGranularityDescription` has no equivalent in a contract
//! - schema[1].properties[0].id: `id` has no equivalent in a contract
//! - schema[1].properties[0].businessName: `businessName` has no equivalent in a contract
//! - schema[1].properties[1].id: `id` has no equivalent in a contract
//! - schema[1].properties[1].businessName: `businessName` has no equivalent in a contract
//! - schema[1].properties[2].id: `id` has no equivalent in a contract
//! - schema[1].properties[2].businessName: `businessName` has no equivalent in a contract
//! - schema[1].properties[3].relationships[0].customProperties[0].property: the custom property `description`
//! - schema[1].properties[3].id: `id` has no equivalent in a contract
//! - schema[1].properties[3].businessName: `businessName` has no equivalent in a contract
//! - schema[1].id: `id` has no equivalent in a contract
//! - schema[1].businessName: `businessName` has no equivalent in a contract
//! - schema[1].tags: `tags` has no equivalent in a contract
//! - description.purpose: a document's purpose other than its one table's description
//! - slaProperties[0].property: the service level `latency` (freshness is checked)
//! - slaProperties[1].property: the service level `generalAvailability` (freshness is checked)
//! - slaProperties[2].property: the service level `endOfSupport` (freshness is checked)
//! - slaProperties[3].property: the service level `endOfLife` (freshness is checked)
//! - slaProperties[4].property: the service level `retention` (freshness is checked)
//! - slaProperties[5].property: the service level `frequency` (freshness is checked)
//! - slaProperties[5].valueExt: `valueExt` has no equivalent in a contract
//! - slaProperties[6].property: the service level `timeOfAvailability` (freshness is checked)
//! - slaProperties[6].driver: `driver` has no equivalent in a contract
//! - slaProperties[7].property: the service level `timeOfAvailability` (freshness is checked)
//! - slaProperties[7].driver: `driver` has no equivalent in a contract
//! - domain: `domain` has no equivalent in a contract
//! - dataProduct: `dataProduct` has no equivalent in a contract
//! - authoritativeDefinitions: `authoritativeDefinitions` has no equivalent in a contract
//! - tenant: `tenant` has no equivalent in a contract
//! - price: `price` has no equivalent in a contract
//! - team: `team` has no equivalent in a contract
//! - roles: `roles` has no equivalent in a contract
//! - support: `support` has no equivalent in a contract
//! - tags: `tags` has no equivalent in a contract
//! - customProperties: `customProperties` has no equivalent in a contract
//! - contractCreatedTs: `contractCreatedTs` has no equivalent in a contract

use datacontract::DataContract;

/// Provides core payment metrics
#[derive(DataContract)]
#[contract(
    name = "tbl_1",
    version = "1.1.0",
    partition_by(day(txn_ref_dt)),
    dedup_key(rcvr_id),
    foreign_key(columns(rcvr_id, rcvr_cntry_code), references = "receivers_master(id, country_code)")
)]
pub struct Tbl {
    /// Reference date for transaction
    #[contract(sensitivity = "public")]
    pub txn_ref_dt: Option<chrono::NaiveDate>,
    /// A description for column rcvr_id.
    #[contract(
        length(max = 18),
        sensitivity = "restricted",
        references = "receivers_master.id"
    )]
    pub rcvr_id: Option<String>,
    /// Country code
    #[contract(length(max = 2), sensitivity = "public")]
    pub rcvr_cntry_code: Option<String>,
}

/// Master data for all receivers
#[derive(DataContract)]
#[contract(
    name = "receivers_master",
    version = "1.1.0",
    dedup_key(id, country_code)
)]
pub struct Receivers {
    /// Unique identifier for receiver
    #[contract(length(max = 18), unique, sensitivity = "restricted")]
    pub id: String,
    /// Country code of the receiver
    #[contract(length(max = 2), sensitivity = "public")]
    pub country_code: String,
    /// Name of the receiver
    #[contract(length(max = 255), sensitivity = "restricted")]
    pub receiver_name: String,
    /// Type of receiver (individual, business, etc.)
    #[contract(
        length(max = 20),
        sensitivity = "public",
        references = "receiver_types.type_code"
    )]
    pub receiver_type: Option<String>,
}
