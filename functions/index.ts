// The single entry point (`main` in package.json). Setup first, so hooks see every later registration.
import './setup';
import './rotationOrchestration';
import './rotationActivities';
import './scanCredentials';
import './onKeyVaultEvent';
import './operatorApi';
import './notificationsApi';
import './dashboard';
