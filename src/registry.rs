//! The set of contracts a `contracts` binary knows.

use crate::{Contract, DataContract};

/// The contracts a binary serves, in the order they were added.
///
/// ```
/// # use datacontract::{DataContract, Registry};
/// #[derive(DataContract)]
/// struct Trade { id: i64 }
///
/// let registry = Registry::new().with::<Trade>();
/// assert!(registry.get("trade").is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Registry {
    contracts: Vec<Contract>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds the contract of `T`.
    ///
    /// # Panics
    /// When a contract of the same table name is already registered: two
    /// types would claim one table.
    pub fn with<T: DataContract>(self) -> Self {
        self.with_contract(T::contract())
    }

    /// Adds a contract built at run time.
    ///
    /// # Panics
    /// When a contract of the same table name is already registered.
    pub fn with_contract(mut self, contract: Contract) -> Self {
        assert!(
            self.get(&contract.name).is_none(),
            "two contracts are registered for table `{}`",
            contract.name
        );
        self.contracts.push(contract);
        self
    }

    /// The contract of table `name`.
    pub fn get(&self, name: &str) -> Option<&Contract> {
        self.contracts.iter().find(|contract| contract.name == name)
    }

    /// Every registered contract.
    pub fn contracts(&self) -> &[Contract] {
        &self.contracts
    }

    /// Checks every foreign key of every contract against the contracts
    /// registered: the referenced table is registered and has each
    /// referenced column, with the key's type. A key naming a contract
    /// type was checked when it compiled; one naming a table (perhaps of
    /// another crate) is checked here, when a binary starts. The error
    /// lists every problem.
    pub fn check_references(&self) -> Result<(), String> {
        let problems: Vec<String> = self
            .contracts
            .iter()
            .flat_map(|contract| contract.reference_problems(|name| self.get(name)))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the registered contracts' foreign keys do not hold:\n  {}",
                problems.join("\n  ")
            ))
        }
    }
}
