// Entry of the lab's page: registers the lit components.
import './components/lab-app.ts';
